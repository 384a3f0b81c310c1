package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/config"
	"github.com/userport/userport/internal/loadtest"
	"github.com/userport/userport/internal/secrets"
)

// runLoadtest implements `userport loadtest`: start a server on a fresh,
// seeded data dir (or take the one at --url), then put it under load
// (internal/loadtest) and print the report. It fails when any request had
// an error other than 429.
func runLoadtest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	var lc loadtest.Config
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	cfg.ServerFlags(fs)
	cfg.JobsFlag(fs)
	scenario := fs.String("scenario", string(loadtest.Mixed), "mixed (users, exports, polls, downloads) or writes (only POST /api/v2/users); both while a large export and an import run")
	target := fs.String("url", "", "load a running server at this loopback URL instead of starting one; tokens are signed with --data-dir's key, nothing is seeded")
	pids := fs.String("pids", "", "with --url: comma-separated pids of the server's processes, to measure")
	users := fs.Int("users", 1_000_000, "users to seed into the fresh store before the run")
	fs.IntVar(&lc.Clients, "clients", 0, "concurrent clients (default 200 for mixed, 4 for writes)")
	fs.DurationVar(&lc.Duration, "duration", loadtest.DefaultDuration, "how long the clients run at most")
	fs.Int64Var(&lc.MaxRequests, "max-requests", loadtest.DefaultMaxRequests, "stop after this many requests")
	fs.DurationVar(&lc.RequestTimeout, "request-timeout", loadtest.DefaultRequestTimeout, "timeout of every request")
	fs.IntVar(&lc.ImportUsers, "import-users", loadtest.DefaultImportUsers, "users in the imported file")
	fs.IntVar(&lc.ExportLimit, "export-limit", loadtest.DefaultExportLimit, "rows of each client's export (the large export has every user)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	keep := fs.Bool("keep", false, "keep the temporary data dir")
	if err := parseFlags(fs, args, stderr, &cfg); err != nil {
		return err
	}
	lc.Scenario, lc.Log = loadtest.Scenario(*scenario), stderr
	if err := lc.Validate(); err != nil {
		return err
	}
	if *users < 0 {
		return errors.New("--users must be >= 0")
	}
	var rep *loadtest.Report
	var err error
	if *target != "" {
		rep, err = loadtestURL(ctx, fs, &cfg, lc, *target, *pids)
	} else {
		rep, err = loadtestOwnServer(ctx, fs, &cfg, lc, *users, *keep, stderr)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
	}
	if err == nil && rep.Errors > 0 {
		err = fmt.Errorf("%d errors other than 429", rep.Errors)
	}
	return err
}

// loadtestOwnServer seeds a fresh data dir, starts the server on it (jobs
// as --jobs says) and runs the load test against it.
func loadtestOwnServer(ctx context.Context, fs *flag.FlagSet, cfg *Config, lc loadtest.Config, users int, keep bool, stderr io.Writer) (*loadtest.Report, error) {
	cleanup, err := cfg.TempDataDir(fs, "userport-loadtest-", keep)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	lc.TempDir = cfg.DataDir
	cfg.Addr, cfg.PublicURL, cfg.LogLevel = "127.0.0.1:0", "", "warn"
	if users > 0 {
		if err := benchSeed(ctx, cfg, users, stderr); err != nil {
			return nil, err
		}
	}
	m, err := openBenchServer(ctx, cfg, stderr)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	t := loadtest.Target{URL: m.URL()}
	if err := t.Tokens(ctx, m.store, m.issuer, lc.Clients); err != nil {
		return nil, err
	}
	t.Processes = func() []loadtest.Process {
		ps := []loadtest.Process{{Name: "serve", PID: os.Getpid()}}
		if m.worker != nil {
			ps = append(ps, loadtest.Process{Name: "worker", PID: m.worker.Pid()})
		}
		return ps
	}
	t.Goroutines, t.GoroutinesOf = runtime.NumGoroutine, "serve's process, which also runs the load generator"
	return loadtest.Run(ctx, lc, t)
}

// loadtestURL runs the load test against the server at url, signing tokens
// with the key of its data dir (--data-dir, which must be given).
func loadtestURL(ctx context.Context, fs *flag.FlagSet, cfg *Config, lc loadtest.Config, url, pids string) (*loadtest.Report, error) {
	if err := loadtest.CheckLoopback(url); err != nil {
		return nil, err
	}
	if !config.Given(fs, "data-dir") && os.Getenv("USERPORT_DATA_DIR") == "" {
		return nil, errors.New("--url needs the server's --data-dir: tokens are signed with its key")
	}
	if _, err := os.Stat(cfg.DataDir); err != nil {
		return nil, fmt.Errorf("--data-dir: %w", err)
	}
	cfg.PublicURL = strings.TrimRight(url, "/")
	store, err := openStore(ctx, cfg) // the server's database: its clients must exist there
	if err != nil {
		return nil, err
	}
	defer store.Close()
	sec, err := secrets.Open(ctx, cfg, store)
	if err != nil {
		return nil, err
	}
	keys, err := sec.SigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	ps, err := loadtest.ParsePIDs(pids)
	if err != nil {
		return nil, err
	}
	t := loadtest.Target{URL: cfg.PublicURL}
	if err := t.Tokens(ctx, store, newIssuer(cfg, keys, userport.SystemClock{}), lc.Clients); err != nil {
		return nil, err
	}
	t.Processes = func() []loadtest.Process { return ps }
	lc.TempDir = os.TempDir()
	return loadtest.Run(ctx, lc, t)
}
