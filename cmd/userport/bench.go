package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/bench"
	"github.com/userport/userport/internal/config"
	"github.com/userport/userport/seed"
)

// runBench implements `userport bench`: seed a store, run exports through the
// real job path (HTTP API, River, blob store), and compare each with the limit
// measured in the same run: scanning the documents plus gzipping the output.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	cfg.ServerFlags(fs)
	cfg.JobsFlag(fs)
	users := fs.Int("users", 100000, "users to seed into a fresh store (0: use the data dir's users as they are)")
	format := fs.String("format", "both", "csv, json, parquet, both (csv and json) or all")
	asJSON := fs.Bool("json", false, "print one JSON object per format")
	keep := fs.Bool("keep", false, "keep the temporary data dir")
	paging := fs.Int("paging-users", 0, "also time paging this many users through GET /api/v2/users?per_page=100")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the exports to this file (with --jobs inline)")
	if err := parseFlags(fs, args, stderr, &cfg); err != nil {
		return err
	}
	formats, err := bench.Formats(*format)
	if err != nil {
		return err
	}
	cleanup, err := cfg.TempDataDir(fs, "userport-bench-", *keep)
	if err != nil {
		return err
	}
	defer cleanup()
	cfg.Addr, cfg.PublicURL, cfg.LogLevel = "127.0.0.1:0", "", "warn"
	if *users > 0 {
		if err := benchSeed(ctx, &cfg, *users, stderr); err != nil {
			return err
		}
	}
	if *cpuProfile != "" {
		if cfg.Jobs != config.JobsInline {
			return errors.New("--cpuprofile profiles this process: add --jobs inline, so that the exports run in it")
		}
		stop, err := bench.StartCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	return benchExports(ctx, &cfg, formats, *paging, *asJSON, stdout, stderr)
}

// benchSeed writes n users with the seed command's generator.
func benchSeed(ctx context.Context, cfg *Config, n int, stderr io.Writer) error {
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	conn, err := userport.EnsureTenant(ctx, store, cfg.Tenant, userport.SystemClock{})
	if err != nil {
		return err
	}
	start := time.Now()
	if err := seedUsers(ctx, store, seed.New(1, cfg.Tenant, conn, seed.Start), n, stderr); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "seeded %d users in %.1fs\n", n, time.Since(start).Seconds())
	return nil
}

// benchExports starts the service and measures one export per format.
func benchExports(ctx context.Context, cfg *Config, formats []userport.Format, paging int, asJSON bool, stdout, stderr io.Writer) error {
	m, err := openBenchServer(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer m.Close()
	token, _, err := m.issuer.Issue("bench", []string{"read:users"})
	if err != nil {
		return err
	}
	t := &bench.Target{URL: m.URL(), Token: token, Tenant: m.Config.Tenant, Store: m.store, Blobs: m.blobs,
		PID: m.jobsPID, TempDir: m.Config.DataDir}
	return bench.Run(ctx, t, formats, paging, asJSON, stdout)
}

// openBenchServer starts the service of cfg, for bench and loadtest, with an
// admin client of its own (so that none is written to the data dir).
func openBenchServer(ctx context.Context, cfg *Config, stderr io.Writer) (*Main, error) {
	cfg.AdminClientID, cfg.AdminClientSecret = "bench", "bench-secret-"+userport.RandomString(16)
	m := &Main{Config: *cfg, Clock: userport.SystemClock{}, Logger: cfg.Logger(stderr), Stderr: stderr}
	if err := m.Open(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

// jobsPID is the process that runs the jobs: the child worker's with --jobs
// process, this one's otherwise.
func (m *Main) jobsPID() int {
	if m.worker != nil {
		return m.worker.Pid()
	}
	return os.Getpid()
}
