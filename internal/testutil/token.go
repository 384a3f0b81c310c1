package testutil

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport/auth"
)

// TokenParts decodes the header and payload of a compact JWT (numbers as
// json.Number), failing the test when tok is not one.
func TokenParts(t testing.TB, tok string) (header, payload map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3: %q", len(parts), tok)
	}
	for i, dst := range []*map[string]any{&header, &payload} {
		data, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("token part %d: %v", i, err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(dst); err != nil {
			t.Fatalf("token part %d: %v", i, err)
		}
	}
	return header, payload
}

// TokenWant is what a successful /oauth/token answer must hold: a one-hour
// RS256 token signed with the key KeyID for ClientID, issued at Now.
type TokenWant struct {
	Issuer, Audience, Tenant, KeyID string
	ClientID, Scope                 string
	Now                             time.Time
}

// CheckTokenAnswer checks a successful /oauth/token answer (its status,
// Cache-Control and body) and the token's header and claims, and returns
// the token.
func CheckTokenAnswer(t testing.TB, status int, header http.Header, body []byte, w TokenWant) string {
	t.Helper()
	if status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body: %s", status, body)
	}
	if cc := header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &tr); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	want := map[string]any{"access_token": tr.AccessToken, "token_type": "Bearer", "expires_in": 3600, "scope": w.Scope}
	wantEqualJSON(t, "body", body, want)
	head, claims := TokenParts(t, tr.AccessToken)
	if head["alg"] != "RS256" || head["kid"] != w.KeyID {
		t.Errorf("token header = %v, want alg RS256 and kid %s", head, w.KeyID)
	}
	now := w.Now.Unix()
	wantEqualJSON(t, "claims", mustMarshal(t, claims), map[string]any{"iss": w.Issuer, "sub": w.ClientID + "@clients",
		"aud": w.Audience, "azp": w.ClientID, "gty": "client-credentials", "scope": w.Scope, "iat": now,
		"exp": now + 3600, auth.TenantClaim: w.Tenant})
	return tr.AccessToken
}

// wantEqualJSON fails unless got and want encode the same JSON document.
func wantEqualJSON(t testing.TB, what string, got []byte, want any) {
	t.Helper()
	if g, w := CanonJSON(t, got), CanonJSON(t, mustMarshal(t, want)); g != w {
		t.Errorf("%s =\n%s\nwant\n%s", what, g, w)
	}
}

// mustMarshal encodes v as JSON.
func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
