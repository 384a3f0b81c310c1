package loadtest_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/userport/userport/auth"
	"github.com/userport/userport/internal/loadtest"
	"github.com/userport/userport/internal/testutil"
)

// TestTokens: the admin and each simulated client exist with their scopes,
// and each has a token of its own.
func TestTokens(t *testing.T) {
	e := testutil.NewEmbedded(t)
	keys, err := auth.LoadOrCreateKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	issuer := &auth.Issuer{Keys: keys, Issuer: "http://127.0.0.1:1/", Audience: "http://127.0.0.1:1/api/v2/", Tenant: "dev",
		Clock: e.Clock, Clients: e.Store}
	var tg loadtest.Target
	if err := tg.Tokens(t.Context(), e.Store, issuer, 3); err != nil {
		t.Fatal(err)
	}
	if tg.AdminToken == "" || len(tg.ClientTokens) != 3 || tg.ClientTokens[0] == tg.ClientTokens[1] {
		t.Fatalf("admin token %q, client tokens %d: want one each, distinct", tg.AdminToken, len(tg.ClientTokens))
	}
	for tok, scopes := range map[string][]string{tg.AdminToken: auth.AllScopes(),
		tg.ClientTokens[2]: {auth.ScopeReadUsers, auth.ScopeCreateUsers}} {
		claims, err := issuer.Verify(t.Context(), tok)
		if err != nil {
			t.Fatalf("a load test token: %v", err)
		}
		c, err := e.Store.FindClient(t.Context(), "dev", claims.ClientID)
		if err != nil || !slices.Equal(c.Scopes, scopes) {
			t.Errorf("client %s: %+v, %v; want scopes %v", claims.ClientID, c, err, scopes)
		}
	}
}

func TestParsePIDs(t *testing.T) {
	ps, err := loadtest.ParsePIDs(" 12, 34,,")
	if want := []loadtest.Process{{Name: "pid1", PID: 12}, {Name: "pid2", PID: 34}}; err != nil || !reflect.DeepEqual(ps, want) {
		t.Errorf("ParsePIDs = %+v, %v; want %+v", ps, err, want)
	}
	for _, bad := range []string{"x", "0", "-3", "1,2x"} {
		if _, err := loadtest.ParsePIDs(bad); err == nil || !strings.Contains(err.Error(), "is no pid") {
			t.Errorf("ParsePIDs(%q) = %v, want a refusal", bad, err)
		}
	}
}
