package testutil

import (
	"strings"
	"testing"
)

// WantOneLine fails unless err is one line containing want: the errors the
// client and the commands show a user.
func WantOneLine(t testing.TB, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	if s := err.Error(); !strings.Contains(s, want) || strings.ContainsAny(s, "\r\n") {
		t.Errorf("error %q: want one line containing %q", s, want)
	}
}
