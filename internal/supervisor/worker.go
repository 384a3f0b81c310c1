package supervisor

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
)

// WorkerNice is what serve adds to the nice value of its child worker: an
// export or an import keeps every core busy, and a request (a password to
// hash, a page to read) should not wait for it.
const WorkerNice = 10

// DefaultWorkerMemoryLimit is the worker's soft memory limit (Go's
// runtime/debug.SetMemoryLimit) unless GOMEMLIMIT sets one: the garbage
// collector runs sooner as the process nears it, which keeps the peak RSS of
// a large export under 100 MB (docs/benchmarks.md). The limit counts the Go
// heap and runtime, not the binary's code pages (another 20-25 MB of RSS),
// and stays well above what the default two workers hold at once: two
// exports' buffers (two S3 part buffers, pgzip's blocks and three pages
// each, about 17 MB) and the store's caches. It is no hard cap: a job that
// needs more gets it, at the cost of more frequent collections.
const DefaultWorkerMemoryLimit = 64 << 20

// WorkerMemoryLimit is the soft memory limit the worker sets: none (0) when
// GOMEMLIMIT (gomemlimit) is set, the runtime having applied it, else the
// default.
func WorkerMemoryLimit(gomemlimit string) int64 {
	if gomemlimit != "" {
		return 0
	}
	return DefaultWorkerMemoryLimit
}

// BecomeWorker makes this process a job worker that yields to the API:
// its soft memory limit (WorkerMemoryLimit of GOMEMLIMIT) set and its nice
// value raised by nice (0 to 19: serve's child worker is given
// WorkerNice). A priority that cannot be lowered is logged, not an error.
func BecomeWorker(nice int, logger *slog.Logger) error {
	if nice < 0 || nice > 19 {
		return fmt.Errorf("invalid --nice %d: want 0 to 19", nice)
	}
	if limit := WorkerMemoryLimit(os.Getenv("GOMEMLIMIT")); limit > 0 {
		debug.SetMemoryLimit(limit)
	}
	if err := LowerPriority(nice); err != nil {
		logger.Warn("could not lower the worker's priority", "err", err)
	}
	return nil
}

// StartWorker runs this executable's `worker` command with args in a child
// process at nice +WorkerNice, started again when it dies. serve works jobs
// this way by default: an export keeps every CPU busy, and in the API's own
// process the Go runtime would then notice new requests only every 10 ms
// (docs/benchmarks.md).
func StartWorker(args []string, stderr io.Writer, logger *slog.Logger) (*Child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args = append(append([]string{"worker"}, args...), fmt.Sprintf("--nice=%d", WorkerNice))
	return Start(exe, args, stderr, logger)
}
