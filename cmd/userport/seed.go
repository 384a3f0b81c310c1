package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/progress"
	"github.com/userport/userport/internal/report"
	"github.com/userport/userport/seed"
)

// runSeed implements `userport seed`: N generated users written straight into
// the store, in batches, deterministically for a given --seed.
func runSeed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	cfg.StorageFlags(fs)
	n := fs.Int("users", 1000, "how many users to write")
	connName := fs.String("connection", userport.DefaultConnectionName, "database connection of the users (created if missing)")
	seedValue := fs.Int64("seed", 1, "generator seed: the same seed gives the same users into an empty store; a store that holds users gets fresh ones after them")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := parseFlags(fs, args, stderr, &cfg); err != nil {
		return err
	}
	if *n < 0 {
		return errors.New("--users must be >= 0")
	}
	clock := userport.SystemClock{}
	store, conn, err := openConnection(ctx, &cfg, *connName, clock)
	if err != nil {
		return err
	}
	defer store.Close()
	out := io.Discard
	if !*quiet {
		out = stderr
	}
	start := time.Now()
	g, held, err := seed.Continue(ctx, store, *seedValue, cfg.Tenant, conn, seed.Start)
	if err != nil {
		return err
	}
	if err := seedUsers(ctx, store, g, *n, out); err != nil {
		return err
	}
	took := time.Since(start)
	// A fresh bulk load has no planner statistics, and its pages are not
	// marked all-visible: vacuum them now (seconds for millions of users)
	// rather than let the first exports plan and read blind.
	if err := store.AnalyzeUsers(ctx, true); err != nil {
		return err
	}
	return report.Seeded(stdout, *n, held, conn.Name, cfg.Tenant, took)
}

// seedUsers writes n users from g into store (seed.Write), counting them
// on a bar on w when w is a terminal.
func seedUsers(ctx context.Context, store userport.UserStore, g *seed.Generator, n int, w io.Writer) error {
	bar := progress.NewUsers(w, n, "seeding users")
	if err := seed.Write(ctx, store, g, n, bar.Add); err != nil {
		return err
	}
	return bar.Finish()
}

// openConnection opens the configured store for a command that writes users
// of one connection: the tenant is made sure of, the connection found or
// created.
func openConnection(ctx context.Context, cfg *Config, name string, clock userport.Clock) (*database, *userport.Connection, error) {
	store, err := openStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	if _, err := userport.EnsureTenant(ctx, store, cfg.Tenant, clock); err != nil {
		store.Close()
		return nil, nil, err
	}
	conn, err := seed.EnsureConnection(ctx, store, cfg.Tenant, name, clock)
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return store, conn, nil
}
