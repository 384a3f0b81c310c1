package supervisor_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/userport/userport/internal/supervisor"
)

// childMode, when set in the environment, makes the test binary a child:
// "wait" waits for SIGTERM and exits, "deaf" ignores SIGTERM and waits to
// be killed.
const childMode = "SUPERVISOR_TEST_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childMode) {
	case "wait":
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM, os.Interrupt)
		os.Stdout.WriteString("ready\n")
		<-ch
		os.Exit(0)
	case "deaf":
		signal.Ignore(syscall.SIGTERM, os.Interrupt)
		os.Stdout.WriteString("ready\n")
		time.Sleep(time.Hour)
	}
	os.Exit(m.Run())
}

// readyWriter receives the children's output and counts their "ready" lines.
type readyWriter struct{ ready chan struct{} }

func (w readyWriter) Write(p []byte) (int, error) {
	for range strings.Count(string(p), "ready\n") {
		w.ready <- struct{}{}
	}
	return len(p), nil
}

// startChild starts the test binary as a supervised child in mode and
// waits until it is ready (its signal handling set up); ready receives
// every later child's readiness.
func startChild(t *testing.T, mode string) (c *supervisor.Child, ready chan struct{}) {
	t.Helper()
	t.Setenv(childMode, mode)
	ready = make(chan struct{}, 10)
	c, err := supervisor.Start(os.Args[0], nil, readyWriter{ready}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitReady(t, ready)
	return c, ready
}

// waitReady waits for a child's readiness, 20 s at most.
func waitReady(t *testing.T, ready chan struct{}) {
	t.Helper()
	select {
	case <-ready:
	case <-time.After(20 * time.Second):
		t.Fatal("the child never said it was ready")
	}
}

// gone reports whether process pid no longer exists.
func gone(pid int) bool { return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }

func TestChildKilledIsStartedAgain(t *testing.T) {
	c, ready := startChild(t, "wait")
	first := c.Pid()
	if first == 0 {
		t.Fatal("no pid after Start")
	}
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitReady(t, ready)
	second := c.Pid()
	if second == first || second == 0 {
		t.Fatalf("pid after the restart %d, first %d", second, first)
	}
	if err := c.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !gone(second) {
		t.Errorf("child %d still runs after Stop", second)
	}
}

func TestStopKillsAChildThatDoesNotStop(t *testing.T) {
	c, _ := startChild(t, "deaf")
	pid := c.Pid()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := c.Stop(ctx)
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Stop = %v, want an error saying the child was killed", err)
	}
	if !gone(pid) {
		t.Errorf("child %d still runs after Stop", pid)
	}
}

func TestStartMissingProgram(t *testing.T) {
	_, err := supervisor.Start(t.TempDir()+"/missing", nil, os.Stderr, nil)
	if err == nil {
		t.Fatal("Start of a missing program succeeded")
	}
}

func TestStopTwice(t *testing.T) {
	c, _ := startChild(t, "wait")
	pid := c.Pid()
	for i := range 2 {
		if err := c.Stop(context.Background()); err != nil {
			t.Fatalf("Stop %d: %v", i+1, err)
		}
	}
	if !gone(pid) {
		t.Errorf("child %d still runs after Stop", pid)
	}
}

func TestWorkerMemoryLimit(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want int64
	}{
		{"", supervisor.DefaultWorkerMemoryLimit},
		{"200MiB", 0}, // the runtime applied GOMEMLIMIT already
		{"off", 0},
	} {
		if got := supervisor.WorkerMemoryLimit(tc.env); got != tc.want {
			t.Errorf("GOMEMLIMIT=%q: limit %d, want %d", tc.env, got, tc.want)
		}
	}
}

// TestBecomeWorker: a nice value out of 0..19 is refused before anything
// changes; otherwise the worker's soft memory limit is set (GOMEMLIMIT
// unset). Not parallel: it sets this process's memory limit, then puts
// it back.
func TestBecomeWorker(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	before := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(before)
	for _, n := range []int{-1, 20} {
		if err := supervisor.BecomeWorker(n, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "want 0 to 19") {
			t.Errorf("BecomeWorker(%d): %v, want a refusal", n, err)
		}
	}
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Fatalf("a refused BecomeWorker set the memory limit to %d", got)
	}
	if err := supervisor.BecomeWorker(0, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if got := debug.SetMemoryLimit(-1); got != supervisor.DefaultWorkerMemoryLimit {
		t.Errorf("memory limit %d, want %d", got, supervisor.DefaultWorkerMemoryLimit)
	}
}
