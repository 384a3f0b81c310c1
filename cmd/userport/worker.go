package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/supervisor"
	"github.com/userport/userport/metrics"
)

// childNice is what serve adds to the nice value of its child worker: an
// export or an import keeps every core busy, and a request (a password to
// hash, a page to read) should not wait for it.
const childNice = 10

// defaultWorkerMemoryLimit is the worker's soft memory limit (Go's
// runtime/debug.SetMemoryLimit) unless GOMEMLIMIT sets one: the garbage
// collector runs sooner as the process nears it, which keeps the peak RSS of
// a large export under 100 MB (docs/benchmarks.md). The limit counts the Go
// heap and runtime, not the binary's code pages (another 20-25 MB of RSS),
// and stays well above what the default two workers hold at once: two
// exports' buffers (two S3 part buffers, pgzip's blocks and three pages
// each, about 17 MB) and the store's caches. It is no hard cap: a job that
// needs more gets it, at the cost of more frequent collections.
const defaultWorkerMemoryLimit = 64 << 20

// workerMemoryLimit is the soft memory limit the worker sets: none (0) when
// GOMEMLIMIT is set (the runtime has applied it), else the default.
func workerMemoryLimit(gomemlimit string) int64 {
	if gomemlimit != "" {
		return 0
	}
	return defaultWorkerMemoryLimit
}

// runWorker implements `userport worker`: the job workers without the HTTP
// API, sharing the queue (and the database) with `serve` and other workers.
func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	m := &Main{Clock: userport.SystemClock{}}
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	m.Config.ServerFlags(fs)
	m.Config.MetricsFlag(fs)
	nice := fs.Int("nice", 0, "add this to the worker's nice value (0 to 19): serve runs its child worker at +"+
		fmt.Sprint(childNice)+", so that the API's requests come before the jobs' work on a busy CPU")
	if err := parseFlags(fs, args, stderr, &m.Config); err != nil {
		return err
	}
	if *nice < 0 || *nice > 19 {
		return fmt.Errorf("invalid --nice %d: want 0 to 19", *nice)
	}
	m.Logger = newLogger(stderr, &m.Config)
	if limit := workerMemoryLimit(os.Getenv("GOMEMLIMIT")); limit > 0 {
		debug.SetMemoryLimit(limit)
	}
	if err := supervisor.LowerPriority(*nice); err != nil {
		m.Logger.Warn("could not lower the worker's priority", "err", err)
	}
	if err := m.OpenWorker(ctx); err != nil {
		return err
	}
	m.Logger.Info("userport worker running", "tenant", m.Config.Tenant, "workers", m.Config.Workers, "data_dir", m.Config.DataDir)
	select {
	case <-ctx.Done():
	case err := <-m.metrics.Served(): // nil without --metrics-addr: never
		_ = m.Close()
		return fmt.Errorf("metrics server: %w", err)
	}
	m.Logger.Info("shutting down")
	return m.Close()
}

// startChildWorker runs `userport worker` with cfg's settings in a child
// process at nice +childNice, started again when it dies. serve works jobs
// this way by default: an export keeps every CPU busy, and in the API's own
// process the Go runtime would then notice new requests only every 10 ms
// (docs/benchmarks.md). extra flags follow cfg's.
func startChildWorker(cfg *Config, stderr io.Writer, logger *slog.Logger, extra ...string) (*supervisor.Child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := append([]string{"worker"}, cfg.WorkerArgs()...)
	return supervisor.Start(exe, append(append(args, fmt.Sprintf("--nice=%d", childNice)), extra...), stderr, logger)
}

// OpenWorker opens the store and starts the job engine, without HTTP.
func (m *Main) OpenWorker(ctx context.Context) (err error) {
	if m.Logger == nil {
		m.Logger = slog.New(slog.DiscardHandler)
	}
	if m.Config.PublicURL == "" {
		m.Config.PublicURL = "http://" + m.Config.Addr
	}
	defer func() {
		if err != nil {
			_ = m.Close()
		}
	}()
	if err := m.openStorage(ctx); err != nil {
		return err
	}
	m.metrics = metrics.NewProcess(false, m.Logger)
	if err := m.openJobs(ctx); err != nil {
		return err
	}
	return m.serveMetrics()
}
