package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"time"
)

// childWorker runs `userport worker` in a child process and starts it again
// when it dies, until stopped. serve works jobs this way by default: an
// export keeps every CPU busy, and in the API's own process the Go runtime
// would then notice new requests only every 10 ms (docs/benchmarks.md).
type childWorker struct {
	exe    string
	args   []string
	stderr io.Writer
	logger *slog.Logger

	mu      sync.Mutex
	cmd     *exec.Cmd
	stopped bool
	stop    chan struct{} // closed by Stop
	done    chan struct{} // closed when the supervising goroutine returns
}

// Restart delays of a child that keeps dying: doubling from the first to the last.
const (
	childRestartFirst = time.Second
	childRestartMax   = 30 * time.Second
)

// startChildWorker starts the child and the goroutine that supervises it.
func startChildWorker(args []string, stderr io.Writer, logger *slog.Logger) (*childWorker, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	w := &childWorker{exe: exe, args: append([]string{"worker"}, args...), stderr: stderr, logger: logger,
		stop: make(chan struct{}), done: make(chan struct{})}
	started := make(chan error, 1)
	go w.supervise(started)
	if err := <-started; err != nil {
		return nil, err
	}
	return w, nil
}

// start starts one child process, unless the worker is stopped.
func (w *childWorker) start() (*exec.Cmd, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return nil, errChildStopped
	}
	cmd := exec.Command(w.exe, w.args...)
	cmd.Stdout, cmd.Stderr = w.stderr, w.stderr
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	w.cmd = cmd
	w.logger.Info("job worker process started", "pid", cmd.Process.Pid)
	return cmd, nil
}

var errChildStopped = errors.New("job worker stopped")

// supervise starts the child, waits for it and starts it again when it
// dies. It keeps its OS thread: Linux signals a child when the thread that
// started it ends, not the process.
func (w *childWorker) supervise(started chan<- error) {
	runtime.LockOSThread()
	defer close(w.done)
	cmd, err := w.start()
	started <- err
	if err != nil {
		return
	}
	delay := childRestartFirst
	for {
		began := time.Now()
		err := cmd.Wait()
		w.mu.Lock()
		stopped := w.stopped
		w.mu.Unlock()
		if stopped {
			return
		}
		if time.Since(began) > childRestartMax {
			delay = childRestartFirst // it ran a while: not a crash loop
		}
		w.logger.Error("job worker process ended; starting it again", "err", err, "in", delay)
		select {
		case <-time.After(delay):
		case <-w.stop:
			return
		}
		delay = min(2*delay, childRestartMax)
		if cmd, err = w.start(); errors.Is(err, errChildStopped) {
			return
		} else if err != nil {
			w.logger.Error("start job worker process", "err", err)
			return
		}
	}
}

// Stop asks the child to shut down (SIGTERM: running exports go back to
// pending) and waits for it until ctx is done, then kills it.
func (w *childWorker) Stop(ctx context.Context) error {
	w.mu.Lock()
	if !w.stopped {
		w.stopped = true
		close(w.stop)
	}
	cmd := w.cmd
	w.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Signal(terminateSignal) // an error: it has ended already
	}
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		if cmd != nil {
			_ = cmd.Process.Kill()
		}
		<-w.done
		return errors.New("the job worker process did not stop in time and was killed")
	}
}

// Pid is the process id of the running child, 0 if there is none.
func (w *childWorker) Pid() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cmd == nil || w.cmd.Process == nil {
		return 0
	}
	return w.cmd.Process.Pid
}
