package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/supervisor"
	"github.com/userport/userport/metrics"
)

// runWorker implements `userport worker`: the job workers without the HTTP
// API, sharing the queue (and the database) with `serve` and other workers.
func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	m := &Main{Clock: userport.SystemClock{}}
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	m.Config.ServerFlags(fs)
	m.Config.MetricsFlag(fs)
	nice := fs.Int("nice", 0, "add this to the worker's nice value (0 to 19): serve runs its child worker at +"+
		fmt.Sprint(supervisor.WorkerNice)+", so that the API's requests come before the jobs' work on a busy CPU")
	if err := parseFlags(fs, args, stderr, &m.Config); err != nil {
		return err
	}
	m.Logger = m.Config.Logger(stderr)
	if err := supervisor.BecomeWorker(*nice, m.Logger); err != nil {
		return err
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
