package jobs_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/jobs"
)

// recorder is a jobs.Metrics and a userport.JobObserver that records what
// it is told, as lines.
type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}

func (r *recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.lines)
}

func (r *recorder) JobFinished(typ userport.JobType, status userport.JobStatus, d time.Duration) {
	r.add("finished %s %s %s", typ, status, d)
}
func (r *recorder) Exported(rows, bytes int64)                     { r.add("exported %d rows", rows) }
func (r *recorder) Imported(s userport.ImportSummary, bytes int64) { r.add("imported %d", s.Total) }

func (r *recorder) observe(_ context.Context, before userport.JobStatus, after *userport.Job) {
	if before != after.Status { // progress and claims leave the status as it is
		r.add("%s -> %s", before, after.Status)
	}
}

// TestTransitionsObserved runs an export: the observer sees each of its
// status changes once, and the metrics count its end once.
func TestTransitionsObserved(t *testing.T) {
	t.Parallel()
	e := setup(t, 10, jobs.Config{}, nil)
	e.stop(t, time.Second)
	rec := &recorder{}
	e.deps.Observe, e.deps.Metrics = rec.observe, rec
	e.start(t)
	job := e.waitFor(t, e.enqueue(t, &userport.Job{}).ID, "completed", status(userport.JobCompleted))
	want := []string{"pending -> processing", "finished users_export completed 0s", "exported 10 rows", "processing -> completed"}
	if got := rec.seen(); !slices.Equal(got, want) {
		t.Errorf("export %s seen as %q, want %q", job.ID, got, want)
	}
}

// TestCleanupTimeOutCounted checks that an export the cleanup fails at its
// time limit counts as a failed job in the metrics, as a worker's failure
// does.
func TestCleanupTimeOutCounted(t *testing.T) {
	t.Parallel()
	e := setup(t, 0, jobs.Config{}, nil)
	e.stop(t, time.Second) // the test drives Cleanup itself
	rec := &recorder{}
	e.deps.Metrics = rec
	ctx := context.Background()
	stuck := e.startStuck(t)
	e.clock.Advance(userport.DefaultLifetimes.Export)
	if err := jobs.Cleanup(ctx, e.deps, userport.Lifetimes{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"finished users_export failed 8h0m0s"}
	if got := rec.seen(); !slices.Equal(got, want) {
		t.Errorf("metrics saw %q after the time-out of %s, want %q", got, stuck.ID, want)
	}
}

// startStuck writes an export that started now and that no worker runs (its
// worker died).
func (e *env) startStuck(t *testing.T) *userport.Job {
	t.Helper()
	ctx := context.Background()
	stuck := &userport.Job{Tenant: "dev", ID: userport.NewJobID(), Type: userport.JobUsersExport, Status: userport.JobPending,
		Format: userport.FormatCSV, CreatedAt: e.clock.Now()}
	if err := e.store.CreateJob(ctx, stuck, 0, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.StartJob(ctx, "dev", stuck.ID, 5, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	return stuck
}
