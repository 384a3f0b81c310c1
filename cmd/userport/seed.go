package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"

	"github.com/userport/userport"
	"github.com/userport/userport/seed"
)

// seedBatch is how many generated users go into one transaction.
const seedBatch = 5000

// seedStart is when the first seeded user was created: fixed, so that a seed
// gives the same users on every run.
var seedStart = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// runSeed implements `userport seed`: N generated users written straight into
// the store, in batches, deterministically for a given --seed.
func runSeed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	cfg.storageFlags(fs)
	n := fs.Int("users", 1000, "how many users to write")
	connName := fs.String("connection", userport.DefaultConnectionName, "database connection of the users (created if missing)")
	seedValue := fs.Int64("seed", 1, "generator seed: the same seed gives the same users; use another to add more")
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
	if err := seedUsers(ctx, store, seed.New(*seedValue, cfg.Tenant, conn, seedStart), *n, newBar(out, *n, "seeding users")); err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	// A fresh bulk load has no planner statistics, and its pages are not
	// marked all-visible: vacuum them now (seconds for millions of users)
	// rather than let the first exports plan and read blind.
	if err := store.AnalyzeUsers(ctx, true); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded %d users into %s in %.2fs (%.0f users/s)\n", *n, conn.Name, secs, float64(*n)/secs)
	return nil
}

// seedUsers writes n users from g into store in batches, through the
// store's bulk load when it has one. One goroutine generates the next batch
// while the current one is written.
func seedUsers(ctx context.Context, store userport.UserStore, g *seed.Generator, n int, bar *progressbar.ProgressBar) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := generate(ctx, g, n, bar)
	if err := userport.LoadUsers(ctx, store, n, batches); err != nil {
		return fmt.Errorf("seed users: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return bar.Finish()
}

// generate yields n users from g in batches of seedBatch, generated one batch
// ahead by a goroutine, and counts each batch on bar once it is written.
// A batch is reused after the loop body that received it returns.
func generate(ctx context.Context, g *seed.Generator, n int, bar *progressbar.ProgressBar) iter.Seq[[]*userport.User] {
	return func(yield func([]*userport.User) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		full, free := make(chan []*userport.User, 1), make(chan []*userport.User, 2)
		free <- make([]*userport.User, seedBatch)
		free <- make([]*userport.User, seedBatch)
		go func() {
			defer close(full)
			for done := 0; done < n; {
				var b []*userport.User
				select {
				case b = <-free:
				case <-ctx.Done():
					return
				}
				b = b[:min(seedBatch, n-done)]
				g.Fill(b)
				full <- b
				done += len(b)
			}
		}()
		defer func() { // let the generator end before g is dropped
			cancel()
			for range full {
			}
		}()
		for b := range full {
			if !yield(b) {
				return
			}
			_ = bar.Add(len(b))
			free <- b[:cap(b)]
		}
	}
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
	conn, err := ensureConnection(ctx, store, cfg.Tenant, name, clock)
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return store, conn, nil
}

// ensureConnection finds the named connection, creating a database connection
// of that name when there is none.
func ensureConnection(ctx context.Context, s userport.ConnectionStore, tenant, name string, clock userport.Clock) (*userport.Connection, error) {
	c, err := s.FindConnectionByName(ctx, tenant, name)
	if userport.ErrorCode(err) != userport.ENOTFOUND {
		return c, err
	}
	c = &userport.Connection{Tenant: tenant, ID: userport.NewConnectionID(), Name: name, Strategy: "auth0", CreatedAt: clock.Now()}
	return c, s.CreateConnection(ctx, c)
}

// newBar returns a progress bar of n steps writing to w; it draws nothing
// unless w is a terminal (logs and CI output stay clean).
func newBar(w io.Writer, n int, what string) *progressbar.ProgressBar {
	if f, ok := w.(*os.File); !ok || !isatty.IsTerminal(f.Fd()) {
		w = io.Discard
	}
	return progressbar.NewOptions(n, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("users"),
		progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
}
