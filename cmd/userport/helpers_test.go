package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
	"github.com/userport/userport/internal/testutil"
)

// The admin client credentials of the servers setup starts.
const (
	adminID     = "test-admin-client"
	adminSecret = "test-admin-secret-0123456789"
)

// upa is the database connection every tenant starts with.
const upa = userport.DefaultConnectionName

// testClock is a settable clock, safe for concurrent use. Servers under test
// start it at the current time so that tokens signed with the system clock
// (the token command) are still valid for them.
type testClock = testutil.Clock

func newTestClock() *testClock {
	return testutil.NewClock(time.Now().UTC().Truncate(time.Millisecond))
}

// installTestKey writes the signing key the servers of setup share into dataDir.
func installTestKey(t *testing.T, dataDir string) { t.Helper(); testutil.InstallKey(t, dataDir) }

// testConfig returns the configuration of a test server on 127.0.0.1:0 over dataDir.
func testConfig(dataDir string) Config {
	// The tests poll jobs every 10 ms, several at a time: faster than the
	// default rate limit lets a client go for long.
	return Config{Addr: "127.0.0.1:0", DataDir: dataDir, Tenant: "dev", TokenTTL: time.Hour,
		LogLevel: "info", AdminClientID: adminID, AdminClientSecret: adminSecret, RateLimit: 1000, RateBurst: 1000}
}

// bundle is a running server and what tests need to talk to it.
type bundle struct {
	t      *testing.T
	m      *Main
	clock  *testClock
	base   string // where the server listens: http://127.0.0.1:PORT
	id     string // admin client id
	secret string // admin client secret
	logs   *syncBuffer
	conns  *connStates // the server's connections, by client address
	client *http.Client
	all    string // cached token with every scope
}

// setup starts a server with the shared signing key on a new data dir.
func setup(t *testing.T) *bundle {
	t.Helper()
	dir := t.TempDir()
	installTestKey(t, dir)
	return start(t, testConfig(dir), newTestClock())
}

// start validates cfg, opens a Main on it and closes it when the test ends.
func start(t *testing.T, cfg Config, clock *testClock) *bundle {
	t.Helper()
	return startMain(t, cfg, clock, nil)
}

// startMain is start with edit (nil: none) applied to the Main before Open.
func startMain(t *testing.T, cfg Config, clock *testClock, edit func(*Main)) *bundle {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	logs := &syncBuffer{}
	conns := &connStates{m: map[string]http.ConnState{}}
	m := &Main{Config: cfg, Clock: clock, Logger: slog.New(slog.NewTextHandler(logs, nil)), connState: conns.set}
	if edit != nil {
		edit(m)
	}
	if err := m.Open(context.Background()); err != nil {
		t.Fatalf("Open: %v", err)
	}
	tr := &http.Transport{}
	b := &bundle{t: t, m: m, clock: clock, base: "http://" + m.listener.Addr().String(),
		id: cfg.AdminClientID, secret: cfg.AdminClientSecret, logs: logs, conns: conns,
		client: &http.Client{Transport: tr, Timeout: 20 * time.Second}}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

// audience is the Management API identifier of the server.
func (b *bundle) audience() string { return b.m.URL() + "/api/v2/" }

// response is an HTTP answer, read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

// request sends method path with body (nil: none; string or []byte: as is;
// anything else: as JSON) and the given headers (name, value pairs).
func (b *bundle) request(method, path string, body any, headers ...string) *response {
	b.t.Helper()
	var r io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(v)
	case []byte:
		r = bytes.NewReader(v)
	default:
		data, err := json.Marshal(v)
		if err != nil {
			b.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, b.base+path, r)
	if err != nil {
		b.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.send(req)
}

// send sends req and reads the whole answer.
func (b *bundle) send(req *http.Request) *response {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: data}
}

// api sends an /api/v2 request with the bearer token tok ("" for none).
func (b *bundle) api(method, path, tok string, body any) *response {
	b.t.Helper()
	if tok == "" {
		return b.request(method, "/api/v2"+path, body)
	}
	return b.request(method, "/api/v2"+path, body, "Authorization", "Bearer "+tok)
}

// admin sends an /api/v2 request with a token holding every scope.
func (b *bundle) admin(method, path string, body any) *response {
	b.t.Helper()
	if b.all == "" {
		b.all = b.token()
	}
	return b.api(method, path, b.all, body)
}

// tokenForm posts form values to /oauth/token.
func (b *bundle) tokenForm(v url.Values, headers ...string) *response {
	b.t.Helper()
	return b.request(http.MethodPost, "/oauth/token", v.Encode(),
		append([]string{"Content-Type", "application/x-www-form-urlencoded"}, headers...)...)
}

// token asks /oauth/token for an admin token, narrowed to scopes when given.
func (b *bundle) token(scopes ...string) string {
	b.t.Helper()
	v := url.Values{"grant_type": {"client_credentials"}, "client_id": {b.id},
		"client_secret": {b.secret}, "audience": {b.audience()}}
	if len(scopes) > 0 {
		v.Set("scope", strings.Join(scopes, " "))
	}
	r := b.tokenForm(v)
	if r.status != http.StatusOK {
		b.t.Fatalf("POST /oauth/token: %d %s", r.status, r.body)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	r.decode(b.t, &tr)
	return tr.AccessToken
}

// decode unmarshals the body into v.
func (r *response) decode(t *testing.T, v any) { t.Helper(); testutil.DecodeJSON(t, r.body, v) }

// object decodes the body as a JSON object.
func (r *response) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	r.decode(t, &m)
	return m
}

// want fails unless the status is status and the body is the JSON want
// (compared after normalizing both: key order and spacing do not matter).
func (r *response) want(t *testing.T, status int, want string) {
	t.Helper()
	testutil.WantJSON(t, r.status, r.body, status, want)
}

// wantStatus fails unless the status is status.
func (r *response) wantStatus(t *testing.T, status int) {
	t.Helper()
	testutil.WantStatus(t, r.status, r.body, status)
}

// wantError fails unless r is Auth0's Management API error body of status
// with the errorCode ("" for none) and message, as JSON.
func (r *response) wantError(t *testing.T, status int, errorCode, message string) {
	t.Helper()
	testutil.WantError(t, r.status, r.header, r.body, status, errorCode, message)
}

// wantOAuthError fails unless r is the OAuth error body of /oauth/token.
func (r *response) wantOAuthError(t *testing.T, status int, code, description string) {
	t.Helper()
	testutil.WantOAuthError(t, r.status, r.header, r.body, status, code, description)
}

// allScopes is the scope string of an unnarrowed admin token.
var allScopes = strings.Join(auth.AllScopes(), " ")

// checkTokenResponse checks a successful /oauth/token answer of b's client
// (b.id), the token's header and claims, and that the token works.
func checkTokenResponse(t *testing.T, b *bundle, r *response, scope string) {
	t.Helper()
	tok := testutil.CheckTokenAnswer(t, r.status, r.header, r.body, testutil.TokenWant{Issuer: b.m.URL() + "/",
		Audience: b.audience(), Tenant: b.m.Config.Tenant, KeyID: b.m.keys.SigningKeyID(), ClientID: b.id, Scope: scope, Now: b.clock.Now()})
	b.api(http.MethodGet, "/connections", tok, nil).wantStatus(t, http.StatusOK)
}

// mustJSON encodes v.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ctx is the context of the checks made behind the API.
func (b *bundle) ctx() context.Context { return context.Background() }

// userCount counts the tenant's users in the store.
func (b *bundle) userCount() int64 {
	b.t.Helper()
	n, err := b.m.store.CountUsers(b.ctx(), b.m.Config.Tenant, "")
	if err != nil {
		b.t.Fatal(err)
	}
	return n
}

// connection returns the named connection from the store.
func (b *bundle) connection(name string) *userport.Connection {
	b.t.Helper()
	c, err := b.m.store.FindConnectionByName(b.ctx(), b.m.Config.Tenant, name)
	if err != nil {
		b.t.Fatalf("find connection %s: %v", name, err)
	}
	return c
}

// storedUser returns the user from the store.
func (b *bundle) storedUser(id string) *userport.User {
	b.t.Helper()
	u, err := b.m.store.FindUser(b.ctx(), b.m.Config.Tenant, id)
	if err != nil {
		b.t.Fatalf("find user %s: %v", id, err)
	}
	return u
}

// putUsers writes users straight into the store (no bcrypt): user i of the
// list gets the id auth0|<24 hex digits of first+i> and the email
// user<first+i>@example.com, in the connection conn.
func (b *bundle) putUsers(conn *userport.Connection, first, n int) []string {
	b.t.Helper()
	ids := make([]string, n)
	users := make([]*userport.User, n)
	now := userport.FormatTime(b.clock.Now())
	for i := range n {
		hex := fmt.Sprintf("%024x", first+i)
		email := fmt.Sprintf("user%d@example.com", first+i)
		p := &userport.Profile{UserID: "auth0|" + hex, Email: email, CreatedAt: now, UpdatedAt: now,
			Identities: []userport.Identity{{Connection: conn.Name, Provider: "auth0", UserID: hex}}}
		u, err := userport.UserFromProfile(b.m.Config.Tenant, conn.ID, "", p)
		if err != nil {
			b.t.Fatal(err)
		}
		ids[i], users[i] = p.UserID, u
	}
	if err := b.m.store.CreateUsers(b.ctx(), users...); err != nil {
		b.t.Fatal(err)
	}
	return ids
}

// createUser creates a user through the API and returns its decoded body.
func (b *bundle) createUser(body map[string]any) map[string]any {
	b.t.Helper()
	r := b.admin(http.MethodPost, "/users", body)
	r.wantStatus(b.t, http.StatusCreated)
	return r.object(b.t)
}

// syncBuffer is a buffer safe for the loggers' concurrent writes.
type syncBuffer = testutil.SyncBuffer

// connStates records the state of each of the server's connections.
type connStates struct {
	mu sync.Mutex
	m  map[string]http.ConnState
}

func (c *connStates) set(conn net.Conn, s http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[conn.RemoteAddr().String()] = s
}

// state is the state of the connection from the client address addr.
func (c *connStates) state(addr string) http.ConnState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[addr]
}

// inFlightCreate starts POST /api/v2/users with the first bytes of its
// body, and returns once the server has accepted the connection and reads
// the request; finish sends the rest and returns the answer.
func (b *bundle) inFlightCreate(email string) (finish func() (int, []byte)) {
	b.t.Helper()
	tok := b.token()
	body := `{"connection":"Username-Password-Authentication","email":"` + email + `","password":"Passw0rd!Passw0rd"}`
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPost, b.base+"/api/v2/users", pr)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	type answer struct {
		status int
		body   []byte
		err    error
	}
	answered := make(chan answer, 1)
	local := make(chan string, 1)
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) { local <- info.Conn.LocalAddr().String() },
	}))
	// A connection of its own: a reused one may still show its last
	// request's state.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	go func() {
		resp, err := client.Do(req)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		_, err = buf.ReadFrom(resp.Body)
		answered <- answer{resp.StatusCode, buf.Bytes(), err}
	}()
	if _, err := pw.Write([]byte(body[:10])); err != nil {
		b.t.Fatal(err)
	}
	addr := <-local
	exPoll(b.t, 10*time.Second, "the server to read the request", func() bool {
		return b.conns.state(addr) == http.StateActive
	})
	return func() (int, []byte) {
		if _, err := pw.Write([]byte(body[10:])); err != nil {
			b.t.Fatal(err)
		}
		pw.Close()
		select {
		case a := <-answered:
			if a.err != nil {
				b.t.Fatalf("in-flight request: %v", a.err)
			}
			return a.status, a.body
		case <-time.After(20 * time.Second):
			b.t.Fatal("no answer to the in-flight request")
		}
		return 0, nil
	}
}
