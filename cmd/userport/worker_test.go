package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/jobs"
)

// TestWorkerRunsQueuedExports queues an export while no worker runs, then
// starts `userport worker` alone (no HTTP) on the same data dir.
func TestWorkerRunsQueuedExports(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	if err := run(ctx, []string{"seed", "--data-dir", dir, "--users", "120", "--quiet"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(dir)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	job := queueExport(t, &cfg)

	m := &Main{Config: cfg, Clock: userport.SystemClock{}}
	if err := m.OpenWorker(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if m.listener != nil || m.server != nil {
		t.Error("the worker listens for HTTP")
	}
	var got *userport.Job
	testutil.WaitFor(t, 20*time.Second, "the worker to complete the export", func() (string, bool) {
		var err error
		if got, err = m.store.FindJob(ctx, "dev", job.ID); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%s %q", got.Status, got.StatusDetails), got.Status == userport.JobCompleted
	})
	if got.Rows != 120 {
		t.Errorf("rows %d, want 120", got.Rows)
	}
	f, err := m.blobs.Open(ctx, got.FileKey)
	if err != nil {
		t.Fatalf("the export file: %v", err)
	}
	f.Close()
}

// queueExport writes a pending JSON export and its River job, with an
// insert-only engine, then closes the store.
func queueExport(t *testing.T, cfg *Config) *userport.Job {
	t.Helper()
	ctx := context.Background()
	store, err := openStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	engine, err := store.newEngine(ctx, jobs.Deps{Store: store, Clock: userport.SystemClock{}, Logger: slog.New(slog.DiscardHandler)}, jobs.Config{}, false)
	if err != nil {
		t.Fatal(err)
	}
	job := &userport.Job{Tenant: "dev", ID: userport.NewJobID(), Type: userport.JobUsersExport,
		Status: userport.JobPending, Format: userport.FormatJSON, CreatedAt: time.Now().UTC()}
	if err := store.CreateJob(ctx, job, 0, func(ctx context.Context, tx userport.Tx) error { return engine.EnqueueTx(ctx, tx, job) }); err != nil {
		t.Fatal(err)
	}
	return job
}
