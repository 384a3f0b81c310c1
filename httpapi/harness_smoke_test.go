package httpapi_test

import (
	"net/http"
	"testing"
)

// TestHarness checks the harness itself: a narrowed token is refused in
// Auth0's shape, and with the workers running an export completes and its
// link downloads.
func TestHarness(t *testing.T) {
	e := setup(t)
	e.api(http.MethodGet, "/users", e.token("read:connections"), nil).
		wantError(t, http.StatusForbidden, "insufficient_scope", "Insufficient scope, expected any of: read:users")
	e.work(nil)
	r := e.admin(http.MethodPost, "/jobs/users-exports", map[string]any{"format": "json"})
	r.wantStatus(t, http.StatusOK)
	j := e.completed(decodeJob(t, r.body).ID)
	e.fetch(j.Location).wantStatus(t, http.StatusOK)
}
