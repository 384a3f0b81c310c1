package testutil

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
)

// CanonJSON re-encodes a JSON document with sorted keys and no spacing
// (numbers as written), so that two documents compare equal when they differ
// only in key order and spacing. It fails the test when data is not JSON.
func CanonJSON(t testing.TB, data []byte) string {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %q: %v", data, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// ErrorBody is Auth0's Management API error body of status with the
// errorCode ("" for none) and message, for exact comparisons: a 401 other
// than "Missing authentication" repeats its reason in attributes, as Auth0's.
func ErrorBody(status int, errorCode, message string) string {
	body := map[string]any{"statusCode": status, "error": http.StatusText(status), "message": message}
	if errorCode != "" {
		body["errorCode"] = errorCode
	}
	if status == http.StatusUnauthorized && message != "Missing authentication" {
		body["attributes"] = map[string]string{"error": message}
	}
	b, _ := json.Marshal(body)
	return string(b)
}
