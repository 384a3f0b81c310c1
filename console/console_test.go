package console_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/userport/userport/console"
)

// newHandler returns the console's handler.
func newHandler(t *testing.T) http.Handler {
	t.Helper()
	h, err := console.New()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return h
}

// get answers a request of method to path.
func get(h http.Handler, method, path string, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHandlerServesAssets(t *testing.T) {
	h := newHandler(t)
	tests := []struct {
		method, path string
		status       int
		ctype        string
		contains     string
	}{
		{"GET", "/", 200, "text/html; charset=utf-8", `<script src="/console/app.js" defer></script>`},
		{"HEAD", "/", 200, "text/html; charset=utf-8", ""},
		{"GET", "/console/app.js", 200, "text/javascript; charset=utf-8", "'use strict';"},
		{"GET", "/console/app.css", 200, "text/css; charset=utf-8", ":focus-visible"},
		{"GET", "/console/icon.svg", 200, "image/svg+xml", "<svg"},
		{"GET", "/console/nope.js", 404, "text/plain; charset=utf-8", "404 page not found"},
		{"GET", "/console/", 404, "text/plain; charset=utf-8", "404 page not found"},
		{"GET", "/console/index.html", 404, "text/plain; charset=utf-8", "404 page not found"},
		{"GET", "/index.html", 404, "text/plain; charset=utf-8", "404 page not found"},
		{"GET", "/console/assets/app.js", 404, "text/plain; charset=utf-8", "404 page not found"},
		{"POST", "/", 405, "text/plain; charset=utf-8", "405 method not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			w := get(h, tt.method, tt.path)
			if w.Code != tt.status {
				t.Errorf("status %d, want %d", w.Code, tt.status)
			}
			if got := w.Header().Get("Content-Type"); got != tt.ctype {
				t.Errorf("Content-Type %q, want %q", got, tt.ctype)
			}
			if !strings.Contains(w.Body.String(), tt.contains) {
				t.Errorf("body does not contain %q:\n%.300s", tt.contains, w.Body.String())
			}
			if tt.method == "HEAD" && w.Body.Len() != 0 {
				t.Errorf("HEAD answered %d bytes", w.Body.Len())
			}
			wantSecurityHeaders(t, w.Header())
		})
	}
}

// wantSecurityHeaders fails unless h carries the console's security headers.
func wantSecurityHeaders(t *testing.T, h http.Header) {
	t.Helper()
	want := map[string]string{
		"Content-Security-Policy": console.ContentSecurityPolicy,
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestContentSecurityPolicyIsStrict(t *testing.T) {
	csp := console.ContentSecurityPolicy
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'",
		"connect-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want+";") && !strings.HasSuffix(csp, want) {
			t.Errorf("the policy lacks %q: %s", want, csp)
		}
	}
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "data:", "*", "http:", "https:"} {
		if strings.Contains(csp, bad) {
			t.Errorf("the policy allows %q: %s", bad, csp)
		}
	}
}

func TestHandlerRevalidatesWithETag(t *testing.T) {
	h := newHandler(t)
	first := get(h, "GET", "/console/app.js")
	etag := first.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if got := first.Header().Get("Cache-Control"); got != "no-cache" {
		t.Errorf("Cache-Control %q, want no-cache", got)
	}
	again := get(h, "GET", "/console/app.js", "If-None-Match", etag)
	if again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Errorf("with If-None-Match: status %d, %d bytes; want 304 and none", again.Code, again.Body.Len())
	}
	if other := get(h, "GET", "/console/app.css").Header().Get("ETag"); other == etag {
		t.Errorf("app.css and app.js share the ETag %s", etag)
	}
}

// TestPageNeedsNothingElse checks that the page loads only the console's own
// assets (no CDN, nothing of another origin) and has no inline script or
// style, which the policy would refuse.
func TestPageNeedsNothingElse(t *testing.T) {
	h := newHandler(t)
	page := get(h, "GET", "/").Body.String()
	refs := regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1)
	if len(refs) < 3 {
		t.Fatalf("%d references in the page, want the script, the style sheet and the icon", len(refs))
	}
	for _, m := range refs {
		ref := m[1]
		if strings.HasPrefix(ref, "#") {
			continue
		}
		if !strings.HasPrefix(ref, console.AssetPrefix) {
			t.Errorf("the page refers to %q, outside %s", ref, console.AssetPrefix)
			continue
		}
		if w := get(h, "GET", ref); w.Code != http.StatusOK {
			t.Errorf("GET %s: %d", ref, w.Code)
		}
	}
	for _, bad := range []*regexp.Regexp{regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]`), regexp.MustCompile(`<style`),
		regexp.MustCompile(`\sstyle=`), regexp.MustCompile(`\son[a-z]+=`)} {
		if loc := bad.FindStringIndex(page); loc != nil {
			t.Errorf("inline script or style in the page: %q", page[loc[0]:min(loc[1]+40, len(page))])
		}
	}
}

// TestScriptKeepsTheTokenInMemory checks that the script stores nothing in
// the browser and writes no markup from strings.
func TestScriptKeepsTheTokenInMemory(t *testing.T) {
	h := newHandler(t)
	js := get(h, "GET", "/console/app.js").Body.String()
	for _, bad := range []string{"localStorage", "sessionStorage", "document.cookie", "indexedDB",
		"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
		if strings.Contains(js, bad) {
			t.Errorf("app.js uses %s", bad)
		}
	}
}
