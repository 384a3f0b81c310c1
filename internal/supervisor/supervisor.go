// Package supervisor runs a program in a child process and starts it again
// when it dies, until stopped: serve's job worker process. On Linux the
// child also dies when its parent does, and a process can lower its own
// priority (LowerPriority).
package supervisor

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os/exec"
	"runtime"
	"sync"
	"time"
)

// Restart delays of a child that keeps dying: doubling from the first to the last.
const (
	RestartFirst = time.Second
	RestartMax   = 30 * time.Second
)

// Child is a supervised child process.
type Child struct {
	path   string
	args   []string
	stderr io.Writer
	logger *slog.Logger

	mu      sync.Mutex
	cmd     *exec.Cmd
	stopped bool
	stop    chan struct{} // closed by Stop
	done    chan struct{} // closed when the supervising goroutine returns
}

// Start starts the program at path with args (its output going to stderr)
// and the goroutine that supervises it. It returns once the first child has
// started, or with the error that kept it from starting.
func Start(path string, args []string, stderr io.Writer, logger *slog.Logger) (*Child, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Child{path: path, args: args, stderr: stderr, logger: logger,
		stop: make(chan struct{}), done: make(chan struct{})}
	started := make(chan error, 1)
	go c.supervise(started)
	if err := <-started; err != nil {
		return nil, err
	}
	return c, nil
}

// errStopped is what start answers once Stop was called.
var errStopped = errors.New("child process stopped")

// start starts one child process, unless the child is stopped.
func (c *Child) start() (*exec.Cmd, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return nil, errStopped
	}
	cmd := exec.Command(c.path, c.args...)
	cmd.Stdout, cmd.Stderr = c.stderr, c.stderr
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c.cmd = cmd
	c.logger.Info("job worker process started", "pid", cmd.Process.Pid)
	return cmd, nil
}

// supervise starts the child, waits for it and starts it again when it
// dies. It keeps its OS thread: Linux signals a child when the thread that
// started it ends, not the process.
func (c *Child) supervise(started chan<- error) {
	runtime.LockOSThread()
	defer close(c.done)
	cmd, err := c.start()
	started <- err
	if err != nil {
		return
	}
	delay := RestartFirst
	for {
		began := time.Now()
		err := cmd.Wait()
		if c.isStopped() {
			return
		}
		if time.Since(began) > RestartMax {
			delay = RestartFirst // it ran a while: not a crash loop
		}
		c.logger.Error("job worker process ended; starting it again", "err", err, "in", delay)
		select {
		case <-time.After(delay):
		case <-c.stop:
			return
		}
		delay = min(2*delay, RestartMax)
		if cmd, err = c.start(); errors.Is(err, errStopped) {
			return
		} else if err != nil {
			c.logger.Error("start job worker process", "err", err)
			return
		}
	}
}

// isStopped reports whether Stop was called.
func (c *Child) isStopped() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopped
}

// Stop asks the child to shut down (SIGTERM on Linux: a job worker puts its
// running exports back to pending) and waits for it until ctx is done, then
// kills it.
func (c *Child) Stop(ctx context.Context) error {
	c.mu.Lock()
	if !c.stopped {
		c.stopped = true
		close(c.stop)
	}
	cmd := c.cmd
	c.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Signal(terminateSignal) // an error: it has ended already
	}
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		if cmd != nil {
			_ = cmd.Process.Kill()
		}
		<-c.done
		return errors.New("the job worker process did not stop in time and was killed")
	}
}

// Pid is the process id of the running child, 0 if there is none.
func (c *Child) Pid() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil || c.cmd.Process == nil {
		return 0
	}
	return c.cmd.Process.Pid
}
