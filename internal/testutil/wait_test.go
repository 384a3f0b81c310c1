package testutil

import (
	"strings"
	"testing"
	"time"
)

func TestWaitFor(t *testing.T) {
	calls := 0
	err := waitFor(time.Second, time.Millisecond, func() (string, bool) { calls++; return "", calls == 3 })
	if err != nil || calls != 3 {
		t.Fatalf("waitFor = %v after %d calls, want nil after 3", err, calls)
	}
	err = waitFor(20*time.Millisecond, time.Millisecond, func() (string, bool) { return "status pending", false })
	if err == nil || !strings.Contains(err.Error(), "last saw status pending") {
		t.Fatalf("waitFor = %v, want a time-out naming what it last saw", err)
	}
}
