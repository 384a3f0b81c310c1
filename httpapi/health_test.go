package httpapi_test

import (
	"net/http"
	"testing"
)

// TestHealth checks /healthz and /readyz: open to anyone, whatever
// credentials come with the request.
func TestHealth(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.request(http.MethodGet, "/healthz", nil).want(t, 200, `{"status":"ok"}`)
	b.request(http.MethodGet, "/readyz", nil).want(t, 200, `{"status":"ready"}`)
	// Credentials, even bad ones, do not matter there.
	b.request(http.MethodGet, "/readyz", nil, "Authorization", "Bearer nonsense").want(t, 200, `{"status":"ready"}`)
}
