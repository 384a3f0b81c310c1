package testutil

import (
	"encoding/json"
	"net/http"
	"testing"
)

// The assertions on an HTTP answer that the API tests of httpapi and of
// cmd/userport share: each takes the answer's status, header and body.

// WantStatus fails unless status is want, showing the body.
func WantStatus(t testing.TB, status int, body []byte, want int) {
	t.Helper()
	if status != want {
		t.Fatalf("status = %d, want %d; body: %s", status, want, body)
	}
}

// WantJSON fails unless status is wantStatus and body is the JSON want,
// compared after normalizing both: key order and spacing do not matter.
func WantJSON(t testing.TB, status int, body []byte, wantStatus int, want string) {
	t.Helper()
	WantStatus(t, status, body, wantStatus)
	if got, w := CanonJSON(t, body), CanonJSON(t, []byte(want)); got != w {
		t.Fatalf("body =\n%s\nwant\n%s", got, w)
	}
}

// WantError fails unless the answer is Auth0's Management API error body
// (ErrorBody) of wantStatus, errorCode and message, as JSON.
func WantError(t testing.TB, status int, header http.Header, body []byte, wantStatus int, errorCode, message string) {
	t.Helper()
	if ct := header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q, want application/json; charset=utf-8", ct)
	}
	WantJSON(t, status, body, wantStatus, ErrorBody(wantStatus, errorCode, message))
}

// WantOAuthError fails unless the answer is the OAuth error body of
// /oauth/token, not to be stored.
func WantOAuthError(t testing.TB, status int, header http.Header, body []byte, wantStatus int, code, description string) {
	t.Helper()
	if cc := header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	want, _ := json.Marshal(map[string]string{"error": code, "error_description": description})
	WantJSON(t, status, body, wantStatus, string(want))
}

// DecodeJSON unmarshals body into v, failing the test when it cannot.
func DecodeJSON(t testing.TB, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
}
