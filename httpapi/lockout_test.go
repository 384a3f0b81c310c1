package httpapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/userport/userport/httpapi"
)

// tokenFrom posts a client-credentials request for fuzzClientID with secret
// to /oauth/token from the remote address addr.
func (s *fuzzServer) tokenFrom(addr, secret string) *httptest.ResponseRecorder {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {fuzzClientID},
		"client_secret": {secret}, "audience": {fuzzBase + "/api/v2/"}}
	r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.RemoteAddr = addr + ":40000"
	return s.do(r)
}

// wantStatus fails unless w answered status.
func wantStatus(t *testing.T, w *httptest.ResponseRecorder, status int, what string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("%s: status %d, want %d: %s", what, w.Code, status, w.Body.Bytes())
	}
}

// TestClientIDNotLockedOut checks that bad secrets for a client id, from
// one address past its failure burst or from many addresses, do not lock the
// client out: its right secret from an address with no failures gets a
// token. The address's own bucket still locks that address out, good secret
// or not, and the client id's bucket still holds for an address that failed.
func TestClientIDNotLockedOut(t *testing.T) {
	s := newFuzzServer(t)
	for range httpapi.DefaultFailureBurst {
		wantStatus(t, s.tokenFrom("10.3.0.1", "wrong"), http.StatusUnauthorized, "a bad secret within the burst")
	}
	w := s.tokenFrom("10.3.0.1", fuzzClientSecret)
	wantStatus(t, w, http.StatusTooManyRequests, "the right secret from an address past its failure burst")
	if !strings.Contains(w.Body.String(), `"access_denied"`) {
		t.Errorf("429 body = %s, want the OAuth access_denied error", w.Body.Bytes())
	}
	wantStatus(t, s.tokenFrom("10.1.0.1", fuzzClientSecret), http.StatusOK, "the right secret from a clean address")

	for i := range httpapi.DefaultFailureBurst + 10 { // rotating addresses, each one clean
		addr := fmt.Sprintf("10.0.%d.%d", i/200, i%200+1)
		wantStatus(t, s.tokenFrom(addr, "wrong"), http.StatusUnauthorized, "a bad secret from "+addr)
	}
	wantStatus(t, s.tokenFrom("10.1.0.2", fuzzClientSecret), http.StatusOK, "the right secret from another clean address")

	wantStatus(t, s.tokenFrom("10.2.0.1", "wrong"), http.StatusUnauthorized, "a bad secret from an address")
	wantStatus(t, s.tokenFrom("10.2.0.1", fuzzClientSecret), http.StatusTooManyRequests,
		"the right secret from that address while the client id's failures are spent")
}
