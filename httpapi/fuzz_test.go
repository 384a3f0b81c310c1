package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
	"github.com/userport/userport/encode"
	"github.com/userport/userport/httpapi"
	"github.com/userport/userport/internal/testutil"
)

const (
	fuzzClientID     = "fuzzclient"
	fuzzClientSecret = "fuzz-secret-0123456789"
	fuzzBase         = "http://127.0.0.1:8080"
)

// fuzzServer is the API over a real SQLite store, with one client granted
// every scope, and a bearer token of that client.
type fuzzServer struct {
	handler http.Handler
	token   string
	env     *testutil.Embedded
}

// nopQueue accepts every job: the fuzz tests look at the HTTP answers only.
type nopQueue struct{}

func (nopQueue) EnqueueTx(context.Context, userport.Tx, *userport.Job) error { return nil }

// newFuzzServer starts the API; each option may change the server first.
func newFuzzServer(t testing.TB, options ...func(*httpapi.Server)) *fuzzServer {
	t.Helper()
	env := testutil.NewEmbedded(t)
	keys, err := auth.LoadOrCreateKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	issuer := &auth.Issuer{Keys: keys, Issuer: fuzzBase + "/", Audience: fuzzBase + "/api/v2/", Tenant: "dev",
		Clock: env.Clock, Clients: &auth.ClientCache{Store: env.Store, Clock: env.Clock}}
	client := &userport.Client{Tenant: "dev", ID: fuzzClientID, Name: "fuzz", SecretHash: auth.HashSecret(fuzzClientSecret),
		Scopes: auth.AllScopes(), CreatedAt: env.Clock.Now()}
	if err := env.Store.PutClient(context.Background(), client); err != nil {
		t.Fatal(err)
	}
	token, _, err := issuer.Issue(fuzzClientID, auth.AllScopes())
	if err != nil {
		t.Fatal(err)
	}
	s := &httpapi.Server{Tenant: "dev", PublicURL: fuzzBase, Store: env.Store, Issuer: issuer, Keys: keys,
		Clock: env.Clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Queue: nopQueue{},
		Blobs: env.Blobs, Lifetimes: userport.Lifetimes{}.WithDefaults()}
	for _, o := range options {
		o(s)
	}
	return &fuzzServer{handler: s.Handler(), token: token, env: env}
}

func (s *fuzzServer) do(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.handler.ServeHTTP(w, r)
	return w
}

// checkAnswer fails on a 5xx, and on a 4xx whose body is not Auth0's error shape.
func checkAnswer(t *testing.T, w *httptest.ResponseRecorder, body []byte) {
	t.Helper()
	if w.Code >= 500 {
		t.Fatalf("body %q: status %d, want no server error: %s", body, w.Code, w.Body.Bytes())
	}
	if w.Code < 400 {
		return
	}
	var e struct {
		StatusCode int    `json:"statusCode"`
		Error      string `json:"error"`
		Message    string `json:"message"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.StatusCode != w.Code || e.Error == "" || e.Message == "" {
		t.Fatalf("body %q: status %d with a body not in Auth0's error shape (%v): %s", body, w.Code, err, w.Body.Bytes())
	}
}

// FuzzExportRequest posts arbitrary bodies to POST /api/v2/jobs/users-exports:
// the answer is a job whose format and fields the encoders accept, or a 4xx
// in Auth0's shape; never a server error.
func FuzzExportRequest(f *testing.F) {
	for _, s := range []string{
		`{}`,
		`{"format":"csv","fields":[{"name":"email"},{"name":"user_metadata.plan","export_as":"Plan"}]}`,
		`{"format":"json","limit":5,"fields":[{"name":"identities[0].connection"},{"name":"app_metadata"}]}`,
		`{"connection_id":"con_0123456789abcdef","format":"csv"}`,
		`{"format":"csv","fields":[{"name":"user_metadata"}]}`,
		`{"format":"json","fields":[{"name":"a.b"},{"name":"a"}]}`,
		`{"format":"csv","fields":[{"name":"email","export_as":"=cmd()"},{"name":"email"}]}`,
		`{"fields":[{"name":"` + strings.Repeat("a", 101) + `"}]}`,
		`{"limit":0}`, `{"limit":1e400}`, `{"format":"xml"}`, `{"fields":[]}`, `{"fields":{}}`, `{"format":"csv","format":"json"}`,
		`[]`, `null`, ``, `{"fields":[{"name":"a[999999999999999999999]"}]}`, "{\"fields\":[{\"name\":\"\xff\"}]}",
	} {
		f.Add([]byte(s))
	}
	s := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/api/v2/jobs/users-exports", bytes.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+s.token)
		r.Header.Set("Content-Type", "application/json")
		w := s.do(r)
		checkAnswer(t, w, body)
		if w.Code != http.StatusOK {
			return
		}
		var job struct {
			Status string           `json:"status"`
			Format userport.Format  `json:"format"`
			Fields []userport.Field `json:"fields"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &job); err != nil {
			t.Fatalf("body %q: answer is not a job: %s", body, w.Body.Bytes())
		}
		if job.Status != "pending" || encode.Validate(job.Format, job.Fields) != nil {
			t.Fatalf("body %q: accepted a job the encoders refuse (%v): %s", body, encode.Validate(job.Format, job.Fields), w.Body.Bytes())
		}
	})
}

// FuzzTokenRequest posts arbitrary bodies, under a JSON or form content type
// and with or without Basic credentials, to /oauth/token: the answer is a
// token only for the right credentials, otherwise an OAuth error; never a
// server error.
func FuzzTokenRequest(f *testing.F) {
	good := url.Values{"grant_type": {"client_credentials"}, "client_id": {fuzzClientID},
		"client_secret": {fuzzClientSecret}, "audience": {fuzzBase + "/api/v2/"}}
	f.Add([]byte(good.Encode()), "application/x-www-form-urlencoded", "")
	f.Add([]byte(`{"grant_type":"client_credentials","client_id":"`+fuzzClientID+`","client_secret":"`+fuzzClientSecret+
		`","audience":"`+fuzzBase+`/api/v2/","scope":"read:users"}`), "application/json", "")
	f.Add([]byte("grant_type=client_credentials&audience="+url.QueryEscape(fuzzBase+"/api/v2/")), "application/x-www-form-urlencoded",
		fuzzClientID+":"+fuzzClientSecret)
	f.Add([]byte("grant_type=client_credentials&scope=read:users%20nope&client_id=x&client_id=y"), "application/x-www-form-urlencoded; charset=utf-8", "x:%zz")
	f.Add([]byte(`{"grant_type":1,"client_id":null}`), "application/json", "")
	f.Add([]byte("%gg=1&&=;"), "text/plain", ":")
	s := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte, contentType, basic string) {
		r := httptest.NewRequest("POST", "/oauth/token", bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		if user, pass, ok := strings.Cut(basic, ":"); ok {
			r.SetBasicAuth(user, pass)
		}
		w := s.do(r)
		if w.Code >= 500 {
			t.Fatalf("body %q (%s): status %d: %s", body, contentType, w.Code, w.Body.Bytes())
		}
		if w.Code == http.StatusOK {
			if !bytes.Contains(body, []byte(fuzzClientSecret)) && !strings.Contains(basic, fuzzClientSecret) {
				t.Fatalf("body %q (%s, basic %q): a token without the client's secret", body, contentType, basic)
			}
			return
		}
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
			t.Fatalf("body %q (%s): status %d with a body that is not an OAuth error: %s", body, contentType, w.Code, w.Body.Bytes())
		}
	})
}
