package testutil

import (
	"syscall"
	"testing"
	"time"
)

// CPUTime returns the CPU time (user and system, every thread) the process
// has used so far: benchmarks report their work per CPU second beside per
// wall second, the steadier figure on a machine shared with other work.
func CPUTime(tb testing.TB) time.Duration {
	tb.Helper()
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
