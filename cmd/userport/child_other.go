//go:build !linux

package main

import (
	"os"
	"syscall"
)

// terminateSignal asks a child worker to shut down.
var terminateSignal os.Signal = os.Interrupt

// childAttr sets nothing: only Linux can tie a child's life to its parent's.
func childAttr() *syscall.SysProcAttr { return nil }

// lowerPriority does nothing: only Linux is supported for now.
func lowerPriority(n int) error { return nil }
