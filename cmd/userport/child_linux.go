package main

import (
	"os"
	"syscall"
)

// terminateSignal asks a child worker to shut down.
var terminateSignal os.Signal = syscall.SIGTERM

// childAttr makes the kernel send the child SIGTERM when serve dies without
// stopping it (kill -9, a crash), so that no worker outlives its server.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
