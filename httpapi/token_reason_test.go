package httpapi_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/userport/userport/auth"
	"github.com/userport/userport/httpapi"
)

// TestTokenRefusedForAudience: a token signed for another URL of the
// server (another port) gets the usual 401 "Invalid token", and the debug
// log says that its audience was the reason.
func TestTokenRefusedForAudience(t *testing.T) {
	var logs bytes.Buffer
	var other string
	s := newFuzzServer(t, func(s *httpapi.Server) {
		s.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		elsewhere := *s.Issuer
		elsewhere.Audience = "http://127.0.0.1:23456/api/v2/" // the same server started on another port
		var err error
		if other, _, err = elsewhere.Issue(fuzzClientID, auth.AllScopes()); err != nil {
			t.Fatal(err)
		}
	})
	r := httptest.NewRequest(http.MethodGet, "/api/v2/users", nil)
	r.Header.Set("Authorization", "Bearer "+other)
	w := s.do(r)
	want := `{"statusCode":401,"error":"Unauthorized","message":"Invalid token","attributes":{"error":"Invalid token"}}`
	if w.Code != http.StatusUnauthorized || strings.TrimSpace(w.Body.String()) != want {
		t.Errorf("answer %d %s, want 401 %s", w.Code, w.Body.Bytes(), want)
	}
	if !strings.Contains(logs.String(), "level=DEBUG msg=\"token refused\"") || !strings.Contains(logs.String(), "audience is not this server's "+fuzzBase+"/api/v2/") {
		t.Errorf("the debug log does not say the audience was the reason:\n%s", logs.String())
	}
}
