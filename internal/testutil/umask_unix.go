//go:build unix

package testutil

import (
	"syscall"
	"testing"
)

// Umask sets the process's file mode creation mask for the rest of t, as a
// usual login shell has it (0022), and restores the previous mask when t
// ends. The mask is process-wide: call it only from a test that is not
// parallel.
func Umask(t testing.TB, mask int) {
	t.Helper()
	old := syscall.Umask(mask)
	t.Cleanup(func() { syscall.Umask(old) })
}
