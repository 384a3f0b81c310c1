package testutil

import (
	"fmt"
	"testing"
	"time"
)

// WaitFor calls check every 10 ms until it returns true, and fails the test
// when timeout passes first. check returns a description of what it saw
// (its last one is shown when the wait fails) and whether the wait is over,
// so a failure says what the test last observed rather than only that time
// ran out.
func WaitFor(t testing.TB, timeout time.Duration, what string, check func() (seen string, done bool)) {
	t.Helper()
	if err := waitFor(timeout, 10*time.Millisecond, check); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// Eventually is WaitFor for a condition with nothing worth reporting.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	WaitFor(t, timeout, what, func() (string, bool) { return "", cond() })
}

func waitFor(timeout, every time.Duration, check func() (string, bool)) error {
	deadline := time.Now().Add(timeout)
	for {
		seen, done := check()
		if done {
			return nil
		}
		if !time.Now().Before(deadline) {
			if seen == "" {
				return fmt.Errorf("timed out after %v", timeout)
			}
			return fmt.Errorf("timed out after %v; last saw %s", timeout, seen)
		}
		time.Sleep(every)
	}
}
