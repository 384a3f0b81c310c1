package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/userport/userport/httpapi"
)

// slowFailures makes a failure bucket of 3 that refills in 1,000 s a token.
func slowFailures(s *httpapi.Server) {
	s.RateLimits = httpapi.RateLimits{FailureRate: 0.001, FailureBurst: 3}
}

// retryAfter returns w's Retry-After in seconds, failing unless it is one.
func retryAfter(t *testing.T, w *httptest.ResponseRecorder) int {
	t.Helper()
	n, err := strconv.Atoi(w.Header().Get("Retry-After"))
	if err != nil || n < 1 {
		t.Fatalf("Retry-After = %q, want seconds", w.Header().Get("Retry-After"))
	}
	return n
}

// TestFailureLimitAnswer checks the 429 of spent failed authentications, at
// /oauth/token and on the API: in each one's Auth0 shape, it says that
// failed authentications are the reason and when to retry, the seconds of
// its Retry-After header.
func TestFailureLimitAnswer(t *testing.T) {
	t.Run("oauth token", func(t *testing.T) {
		s := newFuzzServer(t, slowFailures)
		for range 3 {
			wantStatus(t, s.tokenPost("10.4.0.1", tokenForm(map[string]string{"client_secret": "wrong"}), ""),
				http.StatusUnauthorized, "a bad secret within the burst")
		}
		w := s.tokenPost("10.4.0.1", tokenForm(nil), "")
		wantStatus(t, w, http.StatusTooManyRequests, "the right secret past the burst")
		var got struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatalf("body %s: %v", w.Body.Bytes(), err)
		}
		want := "Too many failed authentications for this client or address: retry in " +
			strconv.Itoa(retryAfter(t, w)) + " seconds"
		if got.Error != "access_denied" || got.Description != want {
			t.Errorf("429 body %s, want access_denied with %q", w.Body.Bytes(), want)
		}
	})
	t.Run("api", func(t *testing.T) {
		s := newFuzzServer(t, slowFailures)
		for range 3 {
			r := httptest.NewRequest(http.MethodGet, "/api/v2/users", nil)
			r.Header.Set("Authorization", "Bearer not.a.token")
			wantStatus(t, s.do(r), http.StatusUnauthorized, "a bad token within the burst")
		}
		w := s.api(http.MethodGet, "/api/v2/users", "")
		wantStatus(t, w, http.StatusTooManyRequests, "a good token past the burst")
		want := `{"statusCode":429,"error":"Too Many Requests","message":"Too many failed authentications from this address: retry in ` +
			strconv.Itoa(retryAfter(t, w)) + ` seconds","errorCode":"too_many_requests"}`
		if w.Body.String() != want {
			t.Errorf("429 body %s, want %s", w.Body.Bytes(), want)
		}
	})
}

// TestRetrySeconds checks the wording of one second.
func TestRetrySeconds(t *testing.T) {
	s := newFuzzServer(t, func(s *httpapi.Server) {
		s.RateLimits = httpapi.RateLimits{FailureRate: 1, FailureBurst: 1}
	})
	wantStatus(t, s.tokenPost("10.5.0.1", tokenForm(map[string]string{"client_secret": "wrong"}), ""),
		http.StatusUnauthorized, "a bad secret")
	w := s.tokenPost("10.5.0.1", tokenForm(nil), "")
	if w.Code == http.StatusOK {
		t.Skip("the bucket refilled before the second request: this machine is too slow for this test")
	}
	wantStatus(t, w, http.StatusTooManyRequests, "the right secret past the burst")
	want := `{"error":"access_denied","error_description":"Too many failed authentications for this client or address: retry in 1 second"}`
	if retryAfter(t, w) != 1 || w.Body.String() != want {
		t.Errorf("429 %s (Retry-After %s), want %s", w.Body.Bytes(), w.Header().Get("Retry-After"), want)
	}
}
