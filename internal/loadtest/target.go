package loadtest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
)

// MaxClientTokens is how many client ids the simulated clients share at
// most: enough that no client id's rate limit is what the test measures.
const MaxClientTokens = 1000

// Tokens makes sure the load test's clients exist in store (a token of a
// client the server does not know is refused), then gives t the admin
// token and the tokens of n simulated clients, each client id's own
// (MaxClientTokens at most), issued by issuer.
func (t *Target) Tokens(ctx context.Context, store userport.ClientStore, issuer *auth.Issuer, n int) error {
	issue := func(id string, scopes []string) (string, error) {
		c := auth.NewClient(issuer.Tenant, id, "userport loadtest", auth.NewClientSecret(), scopes, time.Now().UTC())
		if err := store.PutClient(ctx, c); err != nil {
			return "", fmt.Errorf("load test client %s: %w", id, err)
		}
		tok, _, err := issuer.Issue(id, scopes)
		return tok, err
	}
	var err error
	if t.AdminToken, err = issue("loadtest-admin", auth.AllScopes()); err != nil {
		return err
	}
	scopes := []string{auth.ScopeReadUsers, auth.ScopeCreateUsers}
	for i := range min(n, MaxClientTokens) {
		tok, err := issue(fmt.Sprintf("loadtest-client-%d", i), scopes)
		if err != nil {
			return err
		}
		t.ClientTokens = append(t.ClientTokens, tok)
	}
	return nil
}

// ParsePIDs reads a comma-separated list of pids as the processes pid1,
// pid2, ...
func ParsePIDs(s string) ([]Process, error) {
	var ps []Process
	for i, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' }) {
		pid, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("--pids: %q is no pid", f)
		}
		ps = append(ps, Process{Name: "pid" + strconv.Itoa(i+1), PID: pid})
	}
	return ps, nil
}
