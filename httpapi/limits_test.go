package httpapi_test

// The request limits: a client's bucket, the failure buckets, and the
// Cache-Control of the answers.

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/userport/userport/httpapi"
)

// tooManyRequests is the body of a 429 for a spent rate limit, Auth0's.
const tooManyRequests = `{"statusCode":429,"error":"Too Many Requests","message":"Global limit has been reached","errorCode":"too_many_requests"}`

// TestNoStore checks that the Management API and /oauth/token answers, good
// or bad, are Cache-Control: no-store, and that the JWKS and health keep theirs.
func TestNoStore(t *testing.T) {
	t.Parallel()
	b := setup(t)
	good := url.Values{"grant_type": {"client_credentials"}, "client_id": {adminID}, "client_secret": {adminSecret}, "audience": {b.audience()}}
	tests := []struct {
		name string
		send func() *response
		want string
	}{
		{"users", func() *response { return b.admin(http.MethodGet, "/users", nil) }, "no-store"},
		{"connections", func() *response { return b.admin(http.MethodGet, "/connections", nil) }, "no-store"},
		{"unknown user", func() *response { return b.admin(http.MethodGet, "/users/auth0|nobody", nil) }, "no-store"},
		{"no token", func() *response { return b.api(http.MethodGet, "/users", "", nil) }, "no-store"},
		{"token", func() *response { return b.tokenForm(good) }, "no-store"},
		{"bad secret", func() *response { return b.tokenForm(url.Values{"client_id": {adminID}, "client_secret": {"x"}}) }, "no-store"},
		{"jwks", func() *response { return b.request(http.MethodGet, "/.well-known/jwks.json", nil) }, "public, max-age=300"},
		{"healthz", func() *response { return b.request(http.MethodGet, "/healthz", nil) }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.send().wantHeader(t, "Cache-Control", tt.want)
		})
	}
}

// limitsSetup starts a server whose buckets, of burst requests for clients
// and failures alike, do not refill during a test (one request in 1000 s).
func limitsSetup(t *testing.T, burst int) *env {
	t.Helper()
	return setup(t, func(s *httpapi.Server) {
		s.RateLimits = httpapi.RateLimits{Rate: 0.001, Burst: burst, FailureRate: 0.001, FailureBurst: burst}
	})
}

// wantReset fails unless r's x-ratelimit-reset is spent requests' refill
// (1000 s each) from now, within a second or two of test time: the buckets
// count real time, not the service's clock.
func wantReset(t *testing.T, r *response, spent int) {
	t.Helper()
	got, err := strconv.ParseInt(r.header.Get("X-Ratelimit-Reset"), 10, 64)
	want := time.Now().Add(time.Duration(spent) * 1000 * time.Second).Unix()
	if err != nil || got < want-2 || got > want {
		t.Errorf("X-Ratelimit-Reset = %q, want about %d", r.header.Get("X-Ratelimit-Reset"), want)
	}
}

// TestClientRateLimit checks that a client's requests beyond its burst get
// Auth0's 429, and that every answer tells what is left.
func TestClientRateLimit(t *testing.T) {
	t.Parallel()
	b := limitsSetup(t, 3)
	tok := b.token() // the token request is not counted: it is no API request
	for i := range 3 {
		r := b.api(http.MethodGet, "/users", tok, nil)
		r.wantStatus(t, http.StatusOK)
		r.wantHeaders(t, "X-Ratelimit-Limit", "3", "X-Ratelimit-Remaining", strconv.Itoa(2-i))
		wantReset(t, r, i+1)
	}
	r := b.api(http.MethodGet, "/users", tok, nil)
	r.want(t, http.StatusTooManyRequests, tooManyRequests)
	r.wantHeaders(t, "X-Ratelimit-Limit", "3", "X-Ratelimit-Remaining", "0", "Retry-After", "1000")
	wantReset(t, r, 3)
	// Another token of the same client shares its bucket.
	other := b.token("read:users")
	b.api(http.MethodGet, "/users", other, nil).want(t, http.StatusTooManyRequests, tooManyRequests)
}

// TestFailureRateLimit checks that bursts of bad secrets and bad tokens are
// slowed down: past the burst, even a good secret or token is refused with
// 429, without being looked at.
func TestFailureRateLimit(t *testing.T) {
	t.Parallel()
	t.Run("bad secrets", func(t *testing.T) {
		t.Parallel()
		b := limitsSetup(t, 3)
		bad := url.Values{"grant_type": {"client_credentials"}, "client_id": {adminID}, "client_secret": {"wrong"}, "audience": {b.audience()}}
		for i := range 3 {
			r := b.tokenForm(bad)
			r.wantOAuthError(t, http.StatusUnauthorized, "access_denied", "Unauthorized")
			r.wantHeaders(t, "X-Ratelimit-Limit", "3", "X-Ratelimit-Remaining", strconv.Itoa(2-i))
		}
		good := url.Values{"grant_type": {"client_credentials"}, "client_id": {adminID}, "client_secret": {adminSecret}, "audience": {b.audience()}}
		r := b.tokenForm(good)
		r.wantOAuthError(t, http.StatusTooManyRequests, "access_denied",
			"Too many failed authentications for this client or address: retry in 1000 seconds")
		r.wantHeaders(t, "X-Ratelimit-Remaining", "0", "Retry-After", "1000")
	})
	t.Run("bad tokens", func(t *testing.T) {
		t.Parallel()
		b := limitsSetup(t, 3)
		good := b.token()
		for range 3 {
			b.api(http.MethodGet, "/users", "not.a.token", nil).wantStatus(t, http.StatusUnauthorized)
		}
		r := b.api(http.MethodGet, "/users", good, nil)
		r.want(t, http.StatusTooManyRequests, `{"statusCode":429,"error":"Too Many Requests",`+
			`"message":"Too many failed authentications from this address: retry in 1000 seconds","errorCode":"too_many_requests"}`)
		r.wantHeaders(t, "X-Ratelimit-Remaining", "0", "Retry-After", "1000")
	})
}
