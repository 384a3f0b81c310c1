//go:build !linux

package supervisor

import (
	"os"
	"syscall"
)

// terminateSignal asks a child worker to shut down.
var terminateSignal os.Signal = os.Interrupt

// childAttr sets nothing: only Linux can tie a child's life to its parent's.
func childAttr() *syscall.SysProcAttr { return nil }

// LowerPriority does nothing: only Linux is supported for now.
func LowerPriority(n int) error { return nil }
