package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// tokenPost posts form to /oauth/token from the remote address addr, with
// HTTP Basic credentials when basic is "id:secret".
func (s *fuzzServer) tokenPost(addr string, form url.Values, basic string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id, secret, ok := strings.Cut(basic, ":"); ok {
		r.SetBasicAuth(id, secret)
	}
	r.RemoteAddr = addr + ":40000"
	return s.do(r)
}

// tokenForm is a good client-credentials form for fuzzClientID, with the
// keys of changes set (or, for "", removed).
func tokenForm(changes map[string]string) url.Values {
	v := url.Values{"grant_type": {"client_credentials"}, "client_id": {fuzzClientID},
		"client_secret": {fuzzClientSecret}, "audience": {fuzzBase + "/api/v2/"}}
	for k, val := range changes {
		if val == "" {
			v.Del(k)
		} else {
			v.Set(k, val)
		}
	}
	return v
}

// TestTokenAuthenticationFailed checks /oauth/token's answer to credentials
// that do not authenticate a client: Auth0's recorded 401
// {"error":"access_denied","error_description":"Unauthorized"} (node-auth0
// issue 682, docs/api.md), whichever credential is wrong or missing and
// however it was sent.
func TestTokenAuthenticationFailed(t *testing.T) {
	s := newFuzzServer(t)
	const want = `{"error":"access_denied","error_description":"Unauthorized"}`
	tests := []struct {
		name  string
		form  url.Values
		basic string
	}{
		{"wrong secret", tokenForm(map[string]string{"client_secret": "wrong"}), ""},
		{"wrong secret, Basic", tokenForm(map[string]string{"client_id": "", "client_secret": ""}), fuzzClientID + ":wrong"},
		{"unknown client_id", tokenForm(map[string]string{"client_id": "nobody"}), ""},
		{"unknown client_id, Basic", tokenForm(map[string]string{"client_id": "", "client_secret": ""}), "nobody:" + fuzzClientSecret},
		{"missing secret", tokenForm(map[string]string{"client_secret": ""}), ""},
		{"missing secret, Basic", tokenForm(map[string]string{"client_id": "", "client_secret": ""}), fuzzClientID + ":"},
		{"no credentials", tokenForm(map[string]string{"client_id": "", "client_secret": ""}), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := s.tokenPost("10.9.0.1", tt.form, tt.basic)
			if w.Code != http.StatusUnauthorized || w.Body.String() != want {
				t.Errorf("answer %d %s, want 401 %s", w.Code, w.Body.Bytes(), want)
			}
			if got := w.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
		})
	}
	if w := s.tokenPost("10.9.0.2", tokenForm(nil), ""); w.Code != http.StatusOK {
		t.Errorf("the right credentials: %d %s, want 200", w.Code, w.Body.Bytes())
	}
}
