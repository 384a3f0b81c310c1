// Package procstat reads what Linux's /proc says about a process: its peak
// resident set size, its CPU time and its threads. On other systems, and for
// a process that does not exist, every reading is 0.
package procstat

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// path is the file name under /proc/pid.
func path(pid int, name string) string {
	return filepath.Join("/proc", strconv.Itoa(pid), name)
}

// ResetPeakRSS resets the peak RSS of process pid (clear_refs 5), so that
// PeakRSS measures from now on.
func ResetPeakRSS(pid int) error {
	return os.WriteFile(path(pid, "clear_refs"), []byte("5"), 0)
}

// PeakRSS reads the peak resident set size (VmHWM) of process pid in bytes.
func PeakRSS(pid int) int64 {
	b, err := os.ReadFile(path(pid, "status"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// CPU returns the user plus system CPU time that process pid has used
// (/proc/pid/stat, in USER_HZ ticks of 10 ms).
func CPU(pid int) time.Duration {
	b, err := os.ReadFile(path(pid, "stat"))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces; the fields after it do not.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// Threads counts the OS threads of process pid (/proc/pid/task).
func Threads(pid int) int {
	tasks, err := os.ReadDir(path(pid, "task"))
	if err != nil {
		return 0
	}
	return len(tasks)
}
