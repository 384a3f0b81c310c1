package testutil

import (
	"net/http"
	"testing"
)

// fakeT records a failure instead of ending the test.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper()               {}
func (f *fakeT) Errorf(string, ...any) { f.failed = true }
func (f *fakeT) Fatalf(string, ...any) { f.failed = true; panic(f) }

// fails reports whether check failed its fakeT.
func fails(check func(t testing.TB)) (failed bool) {
	f := &fakeT{}
	defer func() {
		if v := recover(); v != nil && v != f {
			panic(v)
		}
		failed = f.failed
	}()
	check(f)
	return false
}

func TestWantError(t *testing.T) {
	h := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	body := []byte(`{"statusCode":404,"error":"Not Found","message":"The job does not exist.","errorCode":"inexistent_job"}`)
	tests := []struct {
		name  string
		check func(t testing.TB)
		fail  bool
	}{
		{"matches", func(t testing.TB) { WantError(t, 404, h, body, 404, "inexistent_job", "The job does not exist.") }, false},
		{"other status", func(t testing.TB) { WantError(t, 400, h, body, 404, "inexistent_job", "The job does not exist.") }, true},
		{"other message", func(t testing.TB) { WantError(t, 404, h, body, 404, "inexistent_job", "Gone.") }, true},
		{"no content type", func(t testing.TB) {
			WantError(t, 404, http.Header{}, body, 404, "inexistent_job", "The job does not exist.")
		}, true},
		{"oauth without no-store", func(t testing.TB) {
			WantOAuthError(t, 400, http.Header{}, []byte(`{"error":"invalid_request","error_description":"x"}`), 400, "invalid_request", "x")
		}, true},
	}
	for _, tt := range tests {
		if got := fails(tt.check); got != tt.fail {
			t.Errorf("%s: failed %v, want %v", tt.name, got, tt.fail)
		}
	}
}
