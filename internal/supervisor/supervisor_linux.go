package supervisor

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// terminateSignal asks a child worker to shut down.
var terminateSignal os.Signal = syscall.SIGTERM

// childAttr makes the kernel send the child SIGTERM when serve dies without
// stopping it (kill -9, a crash), so that no worker outlives its server.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}

// LowerPriority adds n to the nice value of this process's threads. Linux
// keeps a nice value per thread and a new thread takes its creator's, so once
// every thread is lowered, the threads the Go runtime starts later are too;
// the list is read twice for threads started meanwhile.
func LowerPriority(n int) error {
	if n == 0 {
		return nil
	}
	// Getpriority answers 20 - nice.
	prio, err := unix.Getpriority(unix.PRIO_PROCESS, 0)
	if err != nil {
		return fmt.Errorf("read the priority: %w", err)
	}
	target := min(20-prio+n, 19)
	for range 2 {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return fmt.Errorf("list threads: %w", err)
		}
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			if err := unix.Setpriority(unix.PRIO_PROCESS, tid, target); err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("lower the priority of thread %d: %w", tid, err)
			}
		}
	}
	return nil
}
