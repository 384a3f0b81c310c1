package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/userport/userport"
)

// TestWriteErrorStatuses checks the status, Retry-After and Auth0 body of
// each kind of error: a busy database (EUNAVAILABLE wrapping the driver's
// error) is a 503 to retry in a few seconds, never a 500 (issue 10).
func TestWriteErrorStatuses(t *testing.T) {
	busy := fmt.Errorf("%w: %w", userport.Errorf(userport.EUNAVAILABLE, "", "The database is busy. Try again in a few seconds."),
		errors.New("create users: database is locked (5) (SQLITE_BUSY)"))
	tests := []struct {
		name       string
		err        error
		status     int
		retryAfter string
		body       apiError
	}{
		{"busy", busy, 503, "2", apiError{503, "Service Unavailable", "The database is busy. Try again in a few seconds.", "", errorAttributes{}}},
		{"internal", errors.New("disk on fire"), 500, "", apiError{500, "Internal Server Error", "Internal error", "", errorAttributes{}}},
		{"not found", userport.Errorf(userport.ENOTFOUND, "inexistent_user", "The user does not exist."), 404, "",
			apiError{404, "Not Found", "The user does not exist.", "inexistent_user", errorAttributes{}}},
		{"bad token", userport.Errorf(userport.EUNAUTHORIZED, "", "Invalid token"), 401, "",
			apiError{401, "Unauthorized", "Invalid token", "", errorAttributes{"Invalid token"}}},
		{"no token", userport.Errorf(userport.EUNAUTHORIZED, "", "Missing authentication"), 401, "",
			apiError{401, "Unauthorized", "Missing authentication", "", errorAttributes{}}},
	}
	s := &Server{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		s.writeError(rec, httptest.NewRequest(http.MethodPost, "/api/v2/users", nil), tt.err)
		var body apiError
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s: body %q: %v", tt.name, rec.Body, err)
		}
		if rec.Code != tt.status || rec.Header().Get("Retry-After") != tt.retryAfter || body != tt.body {
			t.Errorf("%s: %d Retry-After %q %+v, want %d %q %+v", tt.name, rec.Code, rec.Header().Get("Retry-After"), body,
				tt.status, tt.retryAfter, tt.body)
		}
	}
}

// TestWriteErrorLogs checks that an internal error is logged as an error,
// and a request that failed because its client went away is not.
func TestWriteErrorLogs(t *testing.T) {
	var logs bytes.Buffer
	s := &Server{Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	s.writeError(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/api/v2/users", nil), errors.New("disk on fire"))
	if !strings.Contains(logs.String(), `level=ERROR msg="request failed"`) {
		t.Errorf("an internal error logged %q, want an ERROR line", logs.String())
	}

	logs.Reset()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest(http.MethodPost, "/api/v2/users", nil).WithContext(ctx)
	s.writeError(httptest.NewRecorder(), r, fmt.Errorf("create users: %w", ctx.Err()))
	if logs.Len() != 0 {
		t.Errorf("a request its client abandoned logged %q at info level, want nothing", logs.String())
	}
}
