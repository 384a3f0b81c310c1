package httpapi_test

// The harness of the API-contract tests: setup(t) serves the whole Management
// API from an httptest server over a fresh embedded store (a real SQLite file,
// a real local blob directory), with an admin client holding every scope.
// Requests go through real HTTP; e.work starts River's job workers in-process
// when a test needs a job to run; e.Clock is the clock the server, the tokens,
// the download links and the workers read, and e.advance moves it.
//
//	e := setup(t, func(s *httpapi.Server) { s.MaxImportBytes = 100 }) // edits optional
//	r := e.admin("GET", "/users", nil)                                 // every scope
//	r = e.api("GET", "/users", e.token("read:connections"), nil)
//	r.wantError(t, 403, "insufficient_scope", "Insufficient scope, expected any of: read:users")
//	e.work(nil)                      // jobs now run; e.completed(id) waits for one
//	e.advance(25 * time.Hour)        // and the cached admin token is dropped
//
// harness_store_test.go reads and writes behind the API through the store's
// methods (no SQL); gate_test.go holds a job's file writes until the test
// lets them go; e.otherTenant serves a second tenant over the same store.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
	"github.com/userport/userport/export"
	"github.com/userport/userport/httpapi"
	"github.com/userport/userport/importer"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/jobs"
	"github.com/userport/userport/localblob"
	"github.com/userport/userport/webhooks"
)

// The tenant and admin client of every test server.
const (
	tenant      = "dev"
	adminID     = "test-admin-client"
	adminSecret = "test-admin-secret-0123456789"
)

// testCursorKey signs the cursors of every test server.
var testCursorKey = []byte("the cursor key of the test server")

// upa is the database connection every tenant starts with.
const upa = userport.DefaultConnectionName

// env is one test's running API and what the test needs to talk to it and
// look behind it. Embedded's Store and Clock are the server's; its Blobs are
// not (Files is the blob store the server signs links of).
type env struct {
	*testutil.Embedded
	t        *testing.T
	tenant   string
	Server   *httpapi.Server // as served; setup's edits applied
	Files    *localblob.Store
	filesDir string // where Files keeps them: export files under {job}/, uploads under imports/
	base     string // http://127.0.0.1:PORT
	client   *http.Client
	logs     *syncBuffer // the server's and the workers' logs
	all      string      // cached token with every scope
}

// setup starts the API of the tenant "dev" over a fresh embedded store, edit
// (if any) applied to the Server before it serves. It runs no job workers:
// see work. Everything stops when the test ends.
func setup(t *testing.T, edit ...func(*httpapi.Server)) *env {
	t.Helper()
	emb := testutil.NewEmbedded(t)
	// Now, as tokens and links signed by the system clock expect.
	emb.Clock.Set(time.Now().UTC().Truncate(time.Millisecond))
	return listen(t, &env{Embedded: emb, tenant: tenant, filesDir: filepath.Join(t.TempDir(), "exports")}, edit)
}

// otherTenant starts the API of another tenant over e's store, files and
// clock, as a second `serve --tenant` on the same data dir does.
func (e *env) otherTenant(name string, edit ...func(*httpapi.Server)) *env {
	e.t.Helper()
	_, err := userport.EnsureTenant(e.t.Context(), e.Store, name, e.Clock)
	must(e.t, err)
	return listen(e.t, &env{Embedded: e.Embedded, tenant: name, filesDir: e.filesDir}, edit)
}

// listen completes e with its server, edit applied, and starts serving.
func listen(t *testing.T, e *env, edit []func(*httpapi.Server)) *env {
	t.Helper()
	e.t, e.logs = t, &syncBuffer{}
	ts := httptest.NewUnstartedServer(nil)
	e.base = "http://" + ts.Listener.Addr().String()
	e.Server = e.newServer(t)
	for _, f := range edit {
		f(e.Server)
	}
	logger := slog.New(slog.NewTextHandler(e.logs, nil))
	ts.Config = httpapi.NewHTTPServer(e.Server.Handler(), httpapi.HTTPOptions{Logger: logger})
	ts.Start()
	tr := &http.Transport{}
	e.client = &http.Client{Transport: tr, Timeout: 20 * time.Second}
	t.Cleanup(func() { tr.CloseIdleConnections(); ts.Close() })
	return e
}

// newServer opens the keys, the admin client, the blob store and an
// insert-only job queue, and returns the Server over them.
func (e *env) newServer(t *testing.T) *httpapi.Server {
	t.Helper()
	keys := testKeys(t)
	issuer := &auth.Issuer{Keys: keys, Issuer: e.base + "/", Audience: e.base + "/api/v2/", Tenant: e.tenant,
		TTL: time.Hour, Clock: e.Clock, Clients: &auth.ClientCache{Store: e.Store, Clock: e.Clock}}
	c := &userport.Client{Tenant: e.tenant, ID: adminID, Name: "userport admin",
		SecretHash: auth.HashSecret(adminSecret), Scopes: auth.AllScopes(), CreatedAt: e.Clock.Now()}
	must(t, e.Store.PutClient(t.Context(), c))
	local, err := localblob.New(e.filesDir, e.base, make([]byte, 32), e.Clock)
	must(t, err)
	e.Files, err = local.ForTenant(e.tenant)
	must(t, err)
	queue := e.engine(jobs.Config{}, e.deps(), false)
	return &httpapi.Server{Tenant: e.tenant, PublicURL: e.base, Store: e.Store, Issuer: issuer, Keys: keys,
		Clock: e.Clock, Logger: slog.New(slog.NewTextHandler(e.logs, nil)), Queue: queue, Blobs: e.Files,
		Downloads: e.Files.Handler(), DownloadTTL: httpapi.DefaultDownloadTTL, Lifetimes: userport.Lifetimes{}.WithDefaults(),
		CursorKey:  testCursorKey,
		Webhooks:   &httpapi.Webhooks{Guard: testWebhookGuard, Sealer: testWebhookSealer},
		RateLimits: httpapi.RateLimits{Rate: 1000, Burst: 1000}} // tests poll faster than the default lets a client
}

// The webhooks of every test server: endpoints on loopback over http
// allowed (the receivers are httptest servers); retries after 10 ms.
var (
	testWebhookSealer = webhooks.NewSealer([]byte("the webhook key of the test server"))
	testWebhookGuard  = &webhooks.Guard{AllowHTTP: true, AllowPrivate: true}
)

// work starts the job workers in this process, polling every 20 ms, with
// edit (nil: none) applied to their configuration and dependencies first (a
// test wraps deps.Blobs to hold an export, sets cfg.CleanupInterval...;
// cfg.Lifetimes starts as the Server's). stop stops them, waiting for the
// jobs they run (as a process's shutdown does); they stop anyway when the
// test ends.
func (e *env) work(edit func(cfg *jobs.Config, deps *jobs.Deps)) (stop func()) {
	e.t.Helper()
	cfg, deps := jobs.Config{PollInterval: 20 * time.Millisecond, Lifetimes: e.Server.Lifetimes}, e.deps()
	if edit != nil {
		edit(&cfg, &deps)
	}
	eng := e.engine(cfg, deps, true)
	must(e.t, eng.Start(context.Background()))
	stop = sync.OnceFunc(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := eng.Stop(ctx); err != nil {
			e.t.Errorf("stop the job workers: %v", err)
		}
	})
	e.t.Cleanup(stop)
	return stop
}

// deps are the job workers' dependencies over the test's store and files.
func (e *env) deps() jobs.Deps {
	return jobs.Deps{Store: e.Store, Blobs: e.Files, Exporter: &export.Exporter{Users: e.Store}, Clock: e.Clock,
		Logger:   slog.New(slog.NewTextHandler(e.logs, nil)),
		Importer: &importer.Importer{Store: e.Store, Files: e.Files, Clock: e.Clock},
		Webhooks: &jobs.Webhooks{Client: webhooks.NewClient(testWebhookGuard, webhooks.ClientOptions{Timeout: 5 * time.Second}),
			Sealer: testWebhookSealer, Schedule: webhooks.Schedule{Delays: []time.Duration{0, 10 * time.Millisecond, 10 * time.Millisecond}}}}
}

// engine builds a job engine on the store's database, River's tables migrated.
func (e *env) engine(cfg jobs.Config, deps jobs.Deps, work bool) *jobs.Engine[*sql.Tx] {
	e.t.Helper()
	eng, err := jobs.OnSQLite(context.Background(), e.Store.SQL(), deps, cfg, work)
	must(e.t, err)
	return eng
}

// advance moves the clock and forgets the cached admin token, which the move
// may have expired.
func (e *env) advance(d time.Duration) {
	e.Clock.Advance(d)
	e.all = ""
}

// audience is the Management API identifier of the server.
func (e *env) audience() string { return e.base + "/api/v2/" }

// response is an HTTP answer, read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

// request sends method path with body (nil: none; string or []byte: as is;
// anything else: as JSON, the Content-Type then application/json) and the
// given headers (name, value pairs; "Host" sets the request's host).
func (e *env) request(method, path string, body any, headers ...string) *response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.base+path, bodyReader(e.t, body))
	must(e.t, err)
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
	return e.send(req)
}

// bodyReader is request's body.
func bodyReader(t *testing.T, body any) io.Reader {
	t.Helper()
	switch v := body.(type) {
	case nil:
		return nil
	case string:
		return strings.NewReader(v)
	case []byte:
		return bytes.NewReader(v)
	}
	data, err := json.Marshal(body)
	must(t, err)
	return bytes.NewReader(data)
}

// send sends req and reads the whole answer.
func (e *env) send(req *http.Request) *response {
	e.t.Helper()
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: data}
}

// fetch sends GET to an absolute URL (a download link) without credentials.
func (e *env) fetch(url string) *response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	must(e.t, err)
	return e.send(req)
}

// api sends an /api/v2 request with the bearer token tok ("" for none).
func (e *env) api(method, path, tok string, body any) *response {
	e.t.Helper()
	if tok == "" {
		return e.request(method, "/api/v2"+path, body)
	}
	return e.request(method, "/api/v2"+path, body, "Authorization", "Bearer "+tok)
}

// admin sends an /api/v2 request with a token holding every scope.
func (e *env) admin(method, path string, body any) *response {
	e.t.Helper()
	return e.api(method, path, e.adminToken(), body)
}

// adminToken is a token with every scope, cached until the clock moves.
func (e *env) adminToken() string {
	e.t.Helper()
	if e.all == "" {
		e.all = e.token()
	}
	return e.all
}

// tokenForm posts form values to /oauth/token.
func (e *env) tokenForm(v url.Values, headers ...string) *response {
	e.t.Helper()
	return e.request(http.MethodPost, "/oauth/token", v.Encode(),
		append([]string{"Content-Type", "application/x-www-form-urlencoded"}, headers...)...)
}

// token asks /oauth/token for an admin token, narrowed to scopes when given.
func (e *env) token(scopes ...string) string {
	e.t.Helper()
	v := url.Values{"grant_type": {"client_credentials"}, "client_id": {adminID},
		"client_secret": {adminSecret}, "audience": {e.audience()}}
	if len(scopes) > 0 {
		v.Set("scope", strings.Join(scopes, " "))
	}
	r := e.tokenForm(v)
	r.wantStatus(e.t, http.StatusOK)
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	r.decode(e.t, &tr)
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

// wantHeaders fails unless r has each header of want (name, value pairs).
func (r *response) wantHeaders(t *testing.T, want ...string) {
	t.Helper()
	for i := 0; i+1 < len(want); i += 2 {
		r.wantHeader(t, want[i], want[i+1])
	}
}

// wantHeader fails unless the response header name is want.
func (r *response) wantHeader(t *testing.T, name, want string) {
	t.Helper()
	if got := r.header.Get(name); got != want {
		t.Errorf("%s = %q, want %q", name, got, want)
	}
}

// mustJSON encodes v (a map's keys sorted).
func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	must(t, err)
	return string(b)
}

// must fails the test on err.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// testKeys returns a key set holding the shared key.
func testKeys(t *testing.T) *auth.KeySet {
	t.Helper()
	dir := t.TempDir()
	testutil.InstallKey(t, dir)
	keys, err := auth.LoadOrCreateKeys(dir)
	must(t, err)
	return keys
}

// syncBuffer is a buffer safe for the loggers' concurrent writes.
type syncBuffer = testutil.SyncBuffer

// job is a job as GET /api/v2/jobs/{id} shows it.
type job = testutil.Job

// decodeJob decodes a job body.
func decodeJob(t *testing.T, body []byte) *job { t.Helper(); return testutil.DecodeJob(t, body) }

// job reads the job through the API, failing unless the answer is 200.
func (e *env) job(id string) *job {
	e.t.Helper()
	r := e.admin(http.MethodGet, "/jobs/"+id, nil)
	r.wantStatus(e.t, http.StatusOK)
	return decodeJob(e.t, r.body)
}

// wait polls the job until it is completed, failed or expired, and returns it.
func (e *env) wait(id string) *job {
	e.t.Helper()
	var j *job
	testutil.WaitFor(e.t, 2*time.Minute, "job "+id+" to end", func() (string, bool) {
		j = e.job(id)
		return j.Status, j.Status != "pending" && j.Status != "processing"
	})
	return j
}

// completed waits for the job and fails unless it completed.
func (e *env) completed(id string) *job {
	e.t.Helper()
	j := e.wait(id)
	if j.Status != "completed" {
		e.t.Fatalf("job %s: status %s (%s), want completed", id, j.Status, j.StatusDetails)
	}
	return j
}
