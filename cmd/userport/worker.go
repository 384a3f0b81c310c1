package main

import (
	"context"
	"flag"
	"io"
	"log/slog"

	"github.com/userport/userport"
)

// runWorker implements `userport worker`: the job workers without the HTTP
// API, sharing the queue (and the database) with `serve` and other workers.
func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	m := &Main{Clock: userport.SystemClock{}}
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	m.Config.serverFlags(fs)
	if err := parseFlags(fs, args, stderr, &m.Config); err != nil {
		return err
	}
	m.Logger = newLogger(stderr, &m.Config)
	if err := m.OpenWorker(ctx); err != nil {
		return err
	}
	m.Logger.Info("userport worker running", "tenant", m.Config.Tenant, "workers", m.Config.Workers, "data_dir", m.Config.DataDir)
	<-ctx.Done()
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
	return m.openJobs(ctx)
}
