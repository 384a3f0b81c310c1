package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/jsonstrict"
)

// rulesServer serves the user routes and POST /connections of a Server
// over the embedded store, without authentication (the handlers are what is
// tested), and returns its URL and the id of a user it holds.
func rulesServer(t *testing.T) (string, string) {
	t.Helper()
	e := testutil.NewEmbedded(t)
	s := &Server{Tenant: "dev", Store: e.Store, Clock: e.Clock, Logger: slog.New(slog.DiscardHandler)}
	mux := http.NewServeMux()
	mux.Handle("POST /api/v2/users", s.handle(s.createUser))
	mux.Handle("GET /api/v2/users/{id}", s.handle(s.getUser))
	mux.Handle("PATCH /api/v2/users/{id}", s.handle(s.updateUser))
	mux.Handle("DELETE /api/v2/users/{id}", s.handle(s.deleteUser))
	mux.Handle("POST /api/v2/connections", s.handle(s.createConnection))
	srv := httptest.NewServer(s.recoverer(mux))
	t.Cleanup(srv.Close)
	u, err := userport.UserFromProfile("dev", e.Conn.ID, "", &userport.Profile{UserID: "auth0|depth", Email: "depth@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Store.CreateUsers(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return srv.URL, u.UserID
}

// rulesSend sends body with method to url and returns the status and the
// error body, if any.
func rulesSend(t *testing.T, method, url, body string) (int, apiError) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var e apiError
	_ = json.Unmarshal(data, &e)
	return resp.StatusCode, e
}

// TestBodyDepth: every body nested deeper than jsonstrict.MaxDepth is a 400
// invalid_body before anything is written (issue 20, defect 1: the API
// answered 500 from 1,000 levels), and the deepest body the rule lets
// through is stored.
func TestBodyDepth(t *testing.T) {
	url, id := rulesServer(t)
	tooDeep := "Payload validation error: 'Invalid JSON: " + jsonstrict.ErrTooDeep.Error() + "'."
	tests := []struct {
		name, method, path string
		depth, status      int
	}{
		{"POST at the limit", http.MethodPost, "/api/v2/users", jsonstrict.MaxDepth, http.StatusCreated},
		{"POST one over", http.MethodPost, "/api/v2/users", jsonstrict.MaxDepth + 1, http.StatusBadRequest},
		{"POST 1000", http.MethodPost, "/api/v2/users", 1000, http.StatusBadRequest},
		{"POST 1001", http.MethodPost, "/api/v2/users", 1001, http.StatusBadRequest},
		{"POST 9999", http.MethodPost, "/api/v2/users", 9999, http.StatusBadRequest},
		{"PATCH at the limit", http.MethodPatch, "/api/v2/users/" + id, jsonstrict.MaxDepth, http.StatusOK},
		{"PATCH one over", http.MethodPatch, "/api/v2/users/" + id, jsonstrict.MaxDepth + 1, http.StatusBadRequest},
		{"PATCH 999", http.MethodPatch, "/api/v2/users/" + id, 999, http.StatusBadRequest},
		{"PATCH 1000", http.MethodPatch, "/api/v2/users/" + id, 1000, http.StatusBadRequest},
		{"PATCH 9000", http.MethodPatch, "/api/v2/users/" + id, 9000, http.StatusBadRequest},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"user_metadata":` + testutil.Nested(tt.depth-1) + `}`
			if tt.method == http.MethodPost {
				body = `{"connection":"` + userport.DefaultConnectionName + `","email":"u` + string(rune('a'+i)) +
					`@example.com","password":"correct horse","user_metadata":` + testutil.Nested(tt.depth-1) + `}`
			}
			status, e := rulesSend(t, tt.method, url+tt.path, body)
			msg := e.Message
			if status != tt.status {
				t.Fatalf("status = %d (%s), want %d", status, msg, tt.status)
			}
			if tt.status == http.StatusBadRequest && msg != tooDeep {
				t.Errorf("message = %q, want %q", msg, tooDeep)
			}
		})
	}
}

// TestTokenBodyDepth: a JSON token request obeys the same depth rule.
func TestTokenBodyDepth(t *testing.T) {
	body := `{"grant_type":"client_credentials","client_id":"c","client_secret":"s","x":` + testutil.Nested(jsonstrict.MaxDepth) + `}`
	_, err := parseTokenJSON([]byte(body))
	if userport.ErrorCode(err) != userport.EINVALID || !strings.Contains(userport.ErrorMessage(err), jsonstrict.ErrTooDeep.Error()) {
		t.Errorf("parseTokenJSON of a body %d deep = %v, want EINVALID naming the depth", jsonstrict.MaxDepth+1, err)
	}
}
