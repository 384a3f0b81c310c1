package procstat_test

import (
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/userport/userport/internal/procstat"
)

// linuxOnly skips a test off Linux: the readings come from /proc.
func linuxOnly(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
}

// TestCPU checks that the CPU time of a process grows while it computes.
func TestCPU(t *testing.T) {
	linuxOnly(t)
	start := procstat.CPU(os.Getpid())
	sum, deadline := 0, time.Now().Add(5*time.Second)
	for procstat.CPU(os.Getpid()) <= start {
		if time.Now().After(deadline) {
			t.Fatalf("CPU time stayed at %v after 5 s of computing", start)
		}
		for i := range 1 << 20 {
			sum += i ^ sum
		}
	}
	if procstat.CPU(-1) != 0 {
		t.Error("CPU time of no process is not 0")
	}
	_ = sum
}

// TestPeakRSS checks that the peak RSS covers memory touched since the
// last reset.
func TestPeakRSS(t *testing.T) {
	linuxOnly(t)
	pid := os.Getpid()
	if err := procstat.ResetPeakRSS(pid); err != nil {
		t.Fatal(err)
	}
	before := procstat.PeakRSS(pid)
	b := make([]byte, 64<<20)
	for i := range b {
		b[i] = byte(i)
	}
	if after := procstat.PeakRSS(pid); after < before+32<<20 {
		t.Errorf("peak RSS %d after touching 64 MB, was %d", after, before)
	}
	runtime.KeepAlive(b)
	if procstat.PeakRSS(-1) != 0 {
		t.Error("peak RSS of no process is not 0")
	}
}

// TestThreads checks that a thread locked by a goroutine is counted.
func TestThreads(t *testing.T) {
	linuxOnly(t)
	pid := os.Getpid()
	before := procstat.Threads(pid)
	if before < 1 {
		t.Fatalf("threads = %d, want at least 1", before)
	}
	var started, release sync.WaitGroup
	started.Add(4)
	release.Add(1)
	for range 4 {
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			started.Done()
			release.Wait()
		}()
	}
	started.Wait()
	// Four goroutines in Wait on locked threads: the runtime needs threads
	// of its own besides them.
	if n := procstat.Threads(pid); n < 5 {
		t.Errorf("threads = %d with 4 locked goroutines, want at least 5", n)
	}
	release.Done()
	if procstat.Threads(-1) != 0 {
		t.Error("threads of no process is not 0")
	}
}
