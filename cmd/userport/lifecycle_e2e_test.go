package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport/auth"
	"github.com/userport/userport/internal/testutil"
)

func TestRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir() // no shared key: the first start generates one
	cfg := testConfig(dir)
	cfg.PublicURL = "http://userport.test" // the same issuer and audience after the restart
	clock := newTestClock()
	first := start(t, cfg, clock)
	kid := first.m.keys.SigningKeyID()
	jwks := first.request(http.MethodGet, "/.well-known/jwks.json", nil)
	jwks.wantStatus(t, 200)
	oldToken := first.token()
	created := first.createUser(map[string]any{"connection": upa, "email": "erin@example.com", "password": "Passw0rd!x"})
	id := created["user_id"].(string)
	conns := first.admin(http.MethodGet, "/connections", nil)
	if err := first.m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	clock.Advance(time.Minute)
	second := start(t, cfg, clock)
	if got := second.m.keys.SigningKeyID(); got != kid {
		t.Fatalf("signing kid after restart = %s, want %s", got, kid)
	}
	second.request(http.MethodGet, "/.well-known/jwks.json", nil).want(t, 200, string(jwks.body))
	// A token from before the restart still works, and so do the credentials.
	second.api(http.MethodGet, "/users/"+id, oldToken, nil).want(t, 200, mustJSON(t, created))
	second.api(http.MethodGet, "/connections", second.token(), nil).want(t, 200, string(conns.body))
	if n, err := second.m.store.CountClients(second.ctx(), "dev"); err != nil || n != 1 {
		t.Fatalf("CountClients = %d, %v; want 1", n, err)
	}
	u := second.storedUser(id)
	if !auth.CheckPassword(u.PasswordHash, "Passw0rd!x") {
		t.Errorf("the password hash did not survive the restart")
	}
	if err := second.m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	// Configured credentials are made exactly so: a new secret replaces the old one.
	cfg.AdminClientSecret = "a-new-secret-0123456789"
	third := start(t, cfg, clock)
	third.token() // with the new secret
	third.tokenForm(map[string][]string{"grant_type": {"client_credentials"}, "client_id": {adminID},
		"client_secret": {adminSecret}, "audience": {third.audience()}}).
		wantOAuthError(t, 401, "access_denied", "Unauthorized")
	third.api(http.MethodGet, "/users/"+id, oldToken, nil).wantStatus(t, 200)
}

// adminFile reads <dir>/admin-client.json, checking its mode.
func adminFile(t *testing.T, dir string) auth.AdminFile {
	t.Helper()
	path := filepath.Join(dir, "admin-client.json")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, st.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f auth.AdminFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f
}

func TestFirstStartWritesAdminClient(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	installTestKey(t, dir)
	cfg := testConfig(dir)
	cfg.AdminClientID, cfg.AdminClientSecret = "", ""
	b := start(t, cfg, newTestClock())
	f := adminFile(t, dir)
	if len(f.ClientID) != 32 || len(f.ClientSecret) < 32 {
		t.Fatalf("admin client file = %+v, want a 32-character id and a long secret", f)
	}
	if f.Audience != b.audience() || f.TokenURL != b.m.URL()+"/oauth/token" {
		t.Errorf("admin client file audience %q, token_url %q; want %q and %q", f.Audience, f.TokenURL, b.audience(), b.m.URL()+"/oauth/token")
	}
	b.id, b.secret = f.ClientID, f.ClientSecret
	r := b.tokenForm(map[string][]string{"grant_type": {"client_credentials"}, "client_id": {f.ClientID},
		"client_secret": {f.ClientSecret}, "audience": {f.Audience}})
	checkTokenResponse(t, b, r, allScopes)

	logs := b.logs.String()
	if !strings.Contains(logs, f.ClientID) || !strings.Contains(logs, filepath.Join(dir, "admin-client.json")) {
		t.Errorf("the log does not name the client id and the file:\n%s", logs)
	}
	if strings.Contains(logs, f.ClientSecret) {
		t.Errorf("the log shows the client secret:\n%s", logs)
	}
	if err := b.m.Close(); err != nil {
		t.Fatal(err)
	}

	// The next start keeps the client and its credentials (the file's secret
	// is the only copy); the file names where the server serves now.
	again := start(t, cfg, newTestClock())
	g := adminFile(t, dir)
	if g.ClientID != f.ClientID || g.ClientSecret != f.ClientSecret {
		t.Fatalf("admin client credentials changed on restart: %+v, was %+v", g, f)
	}
	if g.URL != again.m.URL() || g.Audience != again.audience() || g.TokenURL != again.m.URL()+"/oauth/token" {
		t.Errorf("after a restart the file names %q (audience %q, token_url %q), want the new server %q", g.URL, g.Audience, g.TokenURL, again.m.URL())
	}
	if n, err := again.m.store.CountClients(again.ctx(), "dev"); err != nil || n != 1 {
		t.Fatalf("CountClients = %d, %v; want 1", n, err)
	}
	again.id, again.secret = f.ClientID, f.ClientSecret
	again.token()
}

func TestTokenCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	installTestKey(t, dir)
	cfg := testConfig(dir)
	cfg.AdminClientID, cfg.AdminClientSecret = "", ""
	b := start(t, cfg, newTestClock())
	admin := adminFile(t, dir)

	var out, errb bytes.Buffer
	args := []string{"token", "--data-dir", dir, "--public-url", b.m.URL(), "--scopes", "read:users"}
	if err := run(context.Background(), args, &out, &errb); err != nil {
		t.Fatalf("userport token: %v; stderr: %s", err, errb.String())
	}
	tok := strings.TrimSpace(out.String())
	if strings.Count(out.String(), "\n") != 1 || strings.ContainsAny(tok, " \n") {
		t.Fatalf("userport token printed %q, want one token and a newline", out.String())
	}
	_, claims := testutil.TokenParts(t, tok)
	if claims["scope"] != "read:users" || claims["azp"] != admin.ClientID || claims["aud"] != b.audience() {
		t.Errorf("claims = %v, want scope read:users, azp %s and aud %s", claims, admin.ClientID, b.audience())
	}
	b.api(http.MethodGet, "/users", tok, nil).want(t, 200, `[]`)
	b.api(http.MethodGet, "/connections", tok, nil).
		wantError(t, 403, "insufficient_scope", "Insufficient scope, expected any of: read:connections")

	// By default the token has every scope.
	out.Reset()
	if err := run(context.Background(), []string{"token", "--data-dir", dir, "--public-url", b.m.URL()}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	all := strings.TrimSpace(out.String())
	if _, claims := testutil.TokenParts(t, all); claims["scope"] != allScopes {
		t.Errorf("default scope = %v, want %s", claims["scope"], allScopes)
	}
	b.api(http.MethodPost, "/connections", all, map[string]any{"name": "Cli", "strategy": "auth0"}).wantStatus(t, 201)

	// An unknown scope is refused, and nothing is printed.
	out.Reset()
	err := run(context.Background(), []string{"token", "--data-dir", dir, "--scopes", "read:users foo:bar"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), `unknown scope "foo:bar"`) || out.Len() != 0 {
		t.Fatalf("unknown scope: err %v, output %q", err, out.String())
	}

	// Without an admin client there is no client to sign for: a clear error,
	// not a token every server refuses.
	empty := t.TempDir()
	installTestKey(t, empty)
	err = run(context.Background(), []string{"token", "--data-dir", empty}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "no admin client") || out.Len() != 0 {
		t.Fatalf("no admin client: err %v, output %q", err, out.String())
	}
}

func TestSeedCommand(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := b.m.Config.DataDir
	var out, errb bytes.Buffer
	// Seeding while the server runs on the same data dir.
	if err := run(context.Background(), []string{"seed", "--data-dir", dir, "--users", "2500", "--quiet"}, &out, &errb); err != nil {
		t.Fatalf("userport seed: %v; stderr: %s", err, errb.String())
	}
	if !strings.HasPrefix(out.String(), "seeded 2500 users into "+upa) || errb.Len() != 0 {
		t.Errorf("stdout %q, stderr %q", out.String(), errb.String())
	}
	r := b.admin(http.MethodGet, "/users?include_totals=true&per_page=5&page=3", nil)
	var page struct {
		Start, Limit, Length, Total int
		Users                       []json.RawMessage
	}
	r.wantStatus(t, 200)
	r.decode(t, &page)
	if page.Start != 15 || page.Limit != 5 || page.Length != 5 || page.Total != 2500 || len(page.Users) != 5 {
		t.Fatalf("page = start %d limit %d length %d total %d users %d; want 15 5 5 2500 5",
			page.Start, page.Limit, page.Length, page.Total, len(page.Users))
	}
	for _, doc := range page.Users {
		if bytes.Contains(doc, []byte("password")) {
			t.Errorf("a seeded user shows a password: %s", doc)
		}
	}
	if n := b.userCount(); n != 2500 {
		t.Fatalf("%d users in the store, want 2500", n)
	}

	// Another connection, made by seed, is visible to the server.
	out.Reset()
	if err := run(context.Background(), []string{"seed", "--data-dir", dir, "--users", "10", "--connection", "Seeded", "--seed", "2", "--quiet"}, &out, &errb); err != nil {
		t.Fatalf("userport seed: %v", err)
	}
	var totals struct{ Total int }
	b.admin(http.MethodGet, "/users?include_totals=true&connection=Seeded", nil).decode(t, &totals)
	if totals.Total != 10 {
		t.Fatalf("%d users in Seeded, want 10", totals.Total)
	}
}

func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	b := setup(t)
	finish := b.inFlightCreate("new@example.com")
	closed := make(chan error, 1)
	go func() { closed <- b.m.Close() }()
	// Shutdown has begun once new connections are refused; Close must still
	// wait for the request in flight.
	exPoll(t, 10*time.Second, "new connections to be refused", func() bool {
		resp, err := http.Get(b.base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err != nil
	})
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a request was in flight", err)
	default:
	}
	status, body := finish()
	var got map[string]any
	if err := json.Unmarshal(body, &got); status != http.StatusCreated || err != nil || got["email"] != "new@example.com" {
		t.Fatalf("in-flight request: %d %s", status, body)
	}
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return after the last request")
	}
}
