package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/importer"
	"github.com/userport/userport/jobs"
	"github.com/userport/userport/seed"
	"github.com/userport/userport/sqlite"
)

// importEnv is an env whose engine also runs imports, in chunks of 30 ms.
func importEnv(t *testing.T, cfg jobs.Config) *env {
	t.Helper()
	cfg.ImportChunk, cfg.ImportTimeout, cfg.RescueAfter = 30*time.Millisecond, 5*time.Second, 5*time.Second
	e := setup(t, 0, cfg, nil)
	e.stop(t, time.Second)
	e.deps.Importer = &importer.Importer{Store: e.store, Files: e.blobs, Clock: e.clock, BatchSize: 200}
	e.start(t)
	return e
}

// importFile is n seeded users as NDJSON.
func importFile(n int) []byte {
	var buf bytes.Buffer
	g := seed.New(3, "src", &userport.Connection{ID: "con_SSSSSSSSSSSSSSSS", Name: "Source"}, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	for range n {
		buf.Write(g.Next().Doc)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

// enqueueImport uploads file and creates an import job the way the API does.
func (e *env) enqueueImport(t *testing.T, file []byte) *userport.Job {
	t.Helper()
	ctx := context.Background()
	job := &userport.Job{Tenant: "dev", ID: userport.NewJobID(), Type: userport.JobUsersImport, Status: userport.JobPending,
		ConnectionID: e.conn.ID, Connection: e.conn.Name, CreatedAt: e.clock.Now()}
	job.UploadKey = userport.ImportUploadKey(job.ID)
	w, err := e.blobs.Create(ctx, job.UploadKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(file); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	engine := e.engine
	err = e.store.CreateImportJob(ctx, job, int64(len(file)), 0, func(ctx context.Context, tx userport.Tx) error {
		return engine.EnqueueTx(ctx, tx, job)
	})
	if err != nil {
		t.Fatal(err)
	}
	return job
}

// uploadGone fails t if the job's uploaded file is still there. The worker
// deletes it before it records the job's end, so it is gone as soon as the
// job reads completed or failed.
func (e *env) uploadGone(t *testing.T, job *userport.Job) {
	t.Helper()
	f, err := e.blobs.Open(context.Background(), job.UploadKey)
	if err == nil {
		f.Close()
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the uploaded file of %s is still there when the job has ended: %v", job.ID, err)
	}
}

// deleteWatcher is a blob store that keeps the status each import job had
// when its upload was deleted.
type deleteWatcher struct {
	userport.BlobStore
	store userport.Store
	mu    sync.Mutex
	seen  map[string]userport.JobStatus // by upload key
}

func (d *deleteWatcher) Delete(ctx context.Context, key string) error {
	jobs, err := d.store.ListJobs(ctx, userport.JobFilter{Type: userport.JobUsersImport})
	if err != nil {
		return err
	}
	d.mu.Lock()
	for _, j := range jobs {
		if j.UploadKey == key {
			d.seen[key] = j.Status
		}
	}
	d.mu.Unlock()
	return d.BlobStore.Delete(ctx, key)
}

// TestImportDeletesTheUploadBeforeItEnds checks that a completed or failed
// import's upload is already gone when a client reads the job's end (issue
// 10: TestImportReportsABadFile read failed, then found the file).
func TestImportDeletesTheUploadBeforeItEnds(t *testing.T) {
	t.Parallel()
	e := importEnv(t, jobs.Config{})
	e.stop(t, time.Second)
	watcher := &deleteWatcher{BlobStore: e.blobs, store: e.store, seen: map[string]userport.JobStatus{}}
	e.deps.Blobs = watcher
	e.start(t)
	good, bad := e.enqueueImport(t, importFile(10)), e.enqueueImport(t, []byte(`[{"email":`))
	e.waitFor(t, good.ID, "completed", status(userport.JobCompleted))
	e.waitFor(t, bad.ID, "failed", status(userport.JobFailed))
	watcher.mu.Lock()
	defer watcher.mu.Unlock()
	for _, j := range []*userport.Job{good, bad} {
		if got := watcher.seen[j.UploadKey]; got != userport.JobProcessing {
			t.Errorf("job %s was %q when its upload was deleted, want processing", j.ID, got)
		}
	}
}

func TestImportCompletesInChunks(t *testing.T) {
	t.Parallel()
	e := importEnv(t, jobs.Config{MaxImportsPerTenant: 1})
	first, second := e.enqueueImport(t, importFile(3000)), e.enqueueImport(t, []byte(`[{"email":"x@example.com"}]`))
	// One import of the tenant at a time: never both processing.
	e.waitFor(t, second.ID, "completed, the first never processing with it", func(j *userport.Job) bool {
		f, err := e.store.FindJob(context.Background(), "dev", first.ID)
		if err != nil || j.Status == userport.JobProcessing && f.Status == userport.JobProcessing {
			t.Fatalf("both imports processing (%v)", err)
		}
		return j.Status == userport.JobCompleted
	})
	for _, job := range []*userport.Job{first, second} {
		done := e.waitFor(t, job.ID, "completed", status(userport.JobCompleted))
		if done.PercentageDone != 100 || done.Summary == nil || done.Summary.Failed != 0 || done.CompletedAt.IsZero() {
			t.Errorf("job %s: %+v, summary %+v", job.ID, done, done.Summary)
		}
		e.uploadGone(t, job)
	}
	if n, _ := e.store.CountUsers(context.Background(), "dev", ""); n != 3001 {
		t.Errorf("%d users, want 3001", n)
	}
}

func TestImportResumesAfterShutdown(t *testing.T) {
	t.Parallel()
	e := importEnv(t, jobs.Config{})
	job := e.enqueueImport(t, importFile(5000))
	e.waitFor(t, job.ID, "under way", func(j *userport.Job) bool { return j.PercentageDone > 0 })
	e.stop(t, 5*time.Second)
	stopped, err := e.store.FindJob(context.Background(), "dev", job.ID)
	if err != nil || stopped.Status != userport.JobProcessing {
		t.Fatalf("after the shutdown: %+v, %v; want still processing", stopped, err)
	}
	e.start(t)
	done := e.waitFor(t, job.ID, "completed", status(userport.JobCompleted))
	want := userport.ImportSummary{Inserted: 5000, Total: 5000}
	if *done.Summary != want {
		t.Errorf("summary = %+v, want %+v", *done.Summary, want)
	}
}

func TestImportFailsOnABadFile(t *testing.T) {
	t.Parallel()
	e := importEnv(t, jobs.Config{})
	good := importFile(450)
	job := e.enqueueImport(t, append(good, `{"email":`...))
	done := e.waitFor(t, job.ID, "failed", status(userport.JobFailed))
	want := fmt.Sprintf("The import failed: The import file is not valid: record 451 (line 451, at byte offset %d of the JSON): unexpected EOF.", len(good))
	// Batches of 200: the two before the error stay, the one with it is not written.
	if done.StatusDetails != want || done.Summary == nil || *done.Summary != (userport.ImportSummary{Inserted: 400, Total: 400}) {
		t.Errorf("failed job: %q, summary %+v; want %q and the 400 users before the error's batch", done.StatusDetails, done.Summary, want)
	}
	e.uploadGone(t, job)
}

// analyzeWatch is a store that reports its AnalyzeUsers calls.
type analyzeWatch struct {
	*sqlite.DB
	calls chan bool
}

func (a analyzeWatch) AnalyzeUsers(ctx context.Context, vacuum bool) error {
	a.calls <- vacuum
	return a.DB.AnalyzeUsers(ctx, vacuum)
}

// TestImportAnalyzesTheUsers checks that an import that wrote users lets
// the store refresh its statistics (without vacuum: the store decides
// whether they are stale), and one that wrote none (every user existed)
// does not.
func TestImportAnalyzesTheUsers(t *testing.T) {
	t.Parallel()
	e := importEnv(t, jobs.Config{MaxImportsPerTenant: 1})
	e.stop(t, time.Second)
	watch := analyzeWatch{DB: e.store, calls: make(chan bool, 10)}
	e.deps.Store = watch
	e.start(t)
	for i, file := range [][]byte{importFile(50), importFile(50), []byte(`[{"email":"x@example.com"}]`)} {
		job := e.enqueueImport(t, file)
		done := e.waitFor(t, job.ID, "completed", status(userport.JobCompleted))
		if wrote := done.Summary.Inserted > 0; wrote {
			select {
			case vacuum := <-watch.calls:
				if vacuum {
					t.Errorf("import %d: AnalyzeUsers(vacuum true), want false", i)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("import %d wrote %d users and did not analyze them", i, done.Summary.Inserted)
			}
		}
	}
	if n := len(watch.calls); n != 0 {
		t.Errorf("%d more AnalyzeUsers calls, want none (the second import wrote no user)", n)
	}
}
