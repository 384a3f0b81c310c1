package httpapi_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/userport/userport/console"
	"github.com/userport/userport/httpapi"
)

// TestConsoleRoutes checks that the console answers / and /console/ only,
// with its headers, and that the API's routes and answers are as without it.
func TestConsoleRoutes(t *testing.T) {
	c, err := console.New()
	if err != nil {
		t.Fatal(err)
	}
	with := (&httpapi.Server{Tenant: "dev", Logger: slog.New(slog.DiscardHandler), Console: c}).Handler()
	without := (&httpapi.Server{Tenant: "dev", Logger: slog.New(slog.DiscardHandler)}).Handler()
	tests := []struct {
		method, path string
		console      bool // answered by the console
		status       int
	}{
		{"GET", "/", true, 200},
		{"HEAD", "/", true, 200},
		{"GET", "/console/app.js", true, 200},
		{"GET", "/console/missing.js", true, 404},
		{"POST", "/", false, 404},
		{"GET", "/index.html", false, 404},
		{"GET", "/healthz", false, 200},
		{"GET", "/api/v2/users", false, 401},
		{"GET", "/api/v2/", false, 404},
		{"GET", "/api/v2/nothing-here", false, 404},
		{"POST", "/oauth/token", false, 400},
		{"GET", "/consolex", false, 404},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			w := serveOnce(with, tt.method, tt.path)
			if w.Code != tt.status {
				t.Errorf("status %d, want %d; body %.200s", w.Code, tt.status, w.Body.String())
			}
			csp := w.Header().Get("Content-Security-Policy")
			if tt.console != (csp == console.ContentSecurityPolicy) {
				t.Errorf("Content-Security-Policy %q: answered by the console %v, want %v", csp, !tt.console, tt.console)
			}
			if tt.console {
				return
			}
			// Without the console, the API answers exactly the same.
			base := serveOnce(without, tt.method, tt.path)
			if w.Code != base.Code || w.Body.String() != base.Body.String() || !sameHeaders(w.Header(), base.Header()) {
				t.Errorf("with the console: %d %v %q; without: %d %v %q", w.Code, w.Header(), w.Body, base.Code, base.Header(), base.Body)
			}
		})
	}
}

// serveOnce answers one request without a body.
func serveOnce(h http.Handler, method, path string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	r := httptest.NewRequest(method, path, strings.NewReader(""))
	h.ServeHTTP(w, r)
	return w
}

// sameHeaders compares headers but for the rate limit's, which move with
// time, and the request id, new on every answer.
func sameHeaders(a, b http.Header) bool {
	for _, h := range []http.Header{a, b} {
		for _, k := range []string{"X-Ratelimit-Reset", "X-Ratelimit-Remaining", "Retry-After", "X-Request-Id"} {
			h.Del(k)
		}
	}
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if strings.Join(a[k], ",") != strings.Join(b[k], ",") {
			return false
		}
	}
	return true
}
