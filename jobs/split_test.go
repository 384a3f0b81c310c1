package jobs_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/export"
	"github.com/userport/userport/jobs"
	"github.com/userport/userport/seed"
)

// wholeExport is job's file as one unsplit export writes it, decompressed.
func (e *env) wholeExport(t *testing.T, job *userport.Job) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := (&export.Exporter{Users: e.store}).Export(context.Background(), job, &buf, nil); err != nil {
		t.Fatal(err)
	}
	if !job.Format.Gzipped() {
		return buf.Bytes()
	}
	return e.gunzip(t, &buf)
}

// gunzip decompresses every gzip member of r.
func (e *env) gunzip(t *testing.T, r io.Reader) []byte {
	t.Helper()
	zr, err := gzip.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// file returns a completed export's file, decompressed.
func (e *env) file(t *testing.T, job *userport.Job) []byte {
	t.Helper()
	f, err := e.blobs.Open(context.Background(), job.FileKey)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !job.Format.Gzipped() {
		data, err := io.ReadAll(f)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	return e.gunzip(t, f)
}

// parts lists a job's parts.
func (e *env) parts(t *testing.T, id string) []*userport.ExportPart {
	t.Helper()
	parts, err := e.store.ListExportParts(context.Background(), "dev", id)
	if err != nil {
		t.Fatal(err)
	}
	return parts
}

// TestSplitExportEqualsWhole checks that a split export's file, joined on
// local disk from the parts that the workers wrote, decompresses to the
// bytes of the unsplit export of the same users, for CSV (one header) and
// NDJSON, of a tenant and of one connection; and that the parts' files are
// gone once the job is completed.
func TestSplitExportEqualsWhole(t *testing.T) {
	t.Parallel()
	e := setup(t, 1000, jobs.Config{Workers: 3, MaxExportsPerTenant: 4, SplitParts: 3, SplitMinUsers: 100}, nil)
	for _, tt := range []struct {
		name  string
		job   userport.Job
		parts int
	}{
		{"CSV", userport.Job{Format: userport.FormatCSV}, 3},
		{"CSV with fields", userport.Job{Format: userport.FormatCSV, Fields: []userport.Field{{Name: "email"}, {Name: "user_id", ExportAs: "id"}}}, 3},
		{"NDJSON", userport.Job{Format: userport.FormatJSON}, 3},
		{"NDJSON of a connection", userport.Job{Format: userport.FormatJSON, ConnectionID: e.conn.ID}, 3},
		{"limited: never split", userport.Job{Format: userport.FormatJSON, Limit: 900}, 0},
		{"Parquet: never split", userport.Job{Format: userport.FormatParquet}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			job := e.enqueue(t, &tt.job)
			done := e.waitFor(t, job.ID, "completed", status(userport.JobCompleted))
			parts := e.parts(t, job.ID)
			if len(parts) != tt.parts {
				t.Fatalf("%d parts, want %d", len(parts), tt.parts)
			}
			var rows int64
			for _, p := range parts {
				if p.Status != userport.JobCompleted || p.Rows == 0 {
					t.Errorf("part %d: %+v", p.Index, p)
				}
				rows += p.Rows
			}
			if want := e.wholeExport(t, done); !bytes.Equal(e.file(t, done), want) {
				t.Errorf("the joined file differs from the whole export (%d bytes)", len(want))
			}
			if tt.parts > 0 && (rows != done.Rows || done.Rows != 1000) {
				t.Errorf("rows: job %d, parts %d, want 1000", done.Rows, rows)
			}
			// The parts' files go once the job is completed.
			e.waitRiver(t, "the parts' files to be deleted", func() bool {
				_, err := os.Stat(filepath.Join(e.blobDir, job.ID, "parts"))
				return errors.Is(err, fs.ErrNotExist)
			})
		})
	}
}

// TestSplitSmallExportIsWhole checks that an export of fewer than two
// parts' worth of users is written in one piece.
func TestSplitSmallExportIsWhole(t *testing.T) {
	t.Parallel()
	e := setup(t, 150, jobs.Config{SplitParts: 4, SplitMinUsers: 100}, nil)
	job := e.enqueue(t, &userport.Job{Format: userport.FormatJSON})
	done := e.waitFor(t, job.ID, "completed", status(userport.JobCompleted))
	if parts := e.parts(t, job.ID); len(parts) != 0 || done.Rows != 150 {
		t.Errorf("%d parts, %d rows; want 0 parts, 150 rows", len(parts), done.Rows)
	}
}

// stuckPart is the real exporter, but the first writer of part index
// hangs (until cancelled) as if its worker had died: it beats no more
// once the test says it is dead.
type stuckPart struct {
	*export.Exporter
	index   int
	stuck   chan struct{} // closed when the first writer of the part hangs
	mu      sync.Mutex
	written map[int]int // writes begun, by part
}

func (s *stuckPart) ExportPart(ctx context.Context, job *userport.Job, p *userport.ExportPart, w io.Writer, progress func(int64)) (export.Result, error) {
	s.mu.Lock()
	s.written[p.Index]++
	first := s.written[p.Index] == 1
	s.mu.Unlock()
	if p.Index == s.index && first {
		close(s.stuck)
		<-ctx.Done()
		return export.Result{}, ctx.Err()
	}
	return s.Exporter.ExportPart(ctx, job, p, w, progress)
}

// TestSplitPartOfADeadWorkerIsTakenOver checks that the job's progress
// counts the users of every part, and that a part whose runner stopped
// beating is written again by another runner, while the parts
// written before are kept (each written once), and that the old runner,
// when it beats again, stops; the file is complete and equals the whole
// export.
func TestSplitPartOfADeadWorkerIsTakenOver(t *testing.T) {
	t.Parallel()
	exp := &stuckPart{index: 1, stuck: make(chan struct{}), written: map[int]int{}}
	e := setup(t, 600, jobs.Config{Workers: 3, SplitParts: 3, SplitMinUsers: 100, StaleAfter: time.Minute}, exp)
	exp.Exporter = &export.Exporter{Users: e.store, PageSize: 100}
	job := e.enqueue(t, &userport.Job{Format: userport.FormatCSV})
	<-exp.stuck
	e.waitRiver(t, "the other parts to be written", func() bool {
		parts := e.parts(t, job.ID)
		return len(parts) == 3 && parts[0].Status == userport.JobCompleted && parts[2].Status == userport.JobCompleted
	})
	// Progress counts the users of every part: 400 of 600 written.
	e.waitFor(t, job.ID, "66 % done", func(j *userport.Job) bool { return j.PercentageDone == 66 })
	// The part's worker died: its last heartbeat is older than StaleAfter.
	if _, err := e.store.UpdateExportPart(context.Background(), "dev", job.ID, 1, func(p *userport.ExportPart) error {
		p.Runner, p.HeartbeatAt = "dead-runner", e.clock.Now().Add(-2*time.Minute)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	done := e.waitFor(t, job.ID, "completed", status(userport.JobCompleted))
	if !bytes.Equal(e.file(t, done), e.wholeExport(t, done)) || done.Rows != 600 {
		t.Errorf("the file after a takeover differs from the whole export (%d rows)", done.Rows)
	}
	exp.mu.Lock()
	defer exp.mu.Unlock()
	if exp.written[0] != 1 || exp.written[1] != 2 || exp.written[2] != 1 {
		t.Errorf("parts written %v times, want 0 and 2 once, 1 twice", exp.written)
	}
}

// TestSplitExportTakenOverKeepsItsMark checks that a split export whose
// runner died after planning its parts, taken over by another runner, keeps
// the watermark the first runner recorded before the parts (Job.RecordMark
// once, in plan): the parts are the export of the tenant at that mark, and
// the manifest's cursor names it, not a later watermark taken by the new
// runner after users changed.
func TestSplitExportTakenOverKeepsItsMark(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t, 300, jobs.Config{SplitParts: 3, SplitMinUsers: 100, StaleAfter: time.Minute, CleanupInterval: 20 * time.Millisecond}, nil)
	dead := e.processing(t, "dead-runner", e.clock.Now(), false)
	marked, err := e.store.Watermark(ctx, "dev")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.UpdateJob(ctx, "dev", dead.ID, func(j *userport.Job) error {
		return j.RecordMark("dead-runner", marked, e.clock.Now())
	}); err != nil {
		t.Fatal(err)
	}
	parts := []*userport.ExportPart{
		{Tenant: "dev", JobID: dead.ID, Index: 0, Status: userport.JobPending, Until: "auth0|8"},
		{Tenant: "dev", JobID: dead.ID, Index: 1, Status: userport.JobPending, After: "auth0|8"},
	}
	if err := e.store.CreateExportParts(ctx, parts); err != nil {
		t.Fatal(err)
	}
	// Users change after the mark: the store's watermark moves on.
	more := make([]*userport.User, 5)
	seed.New(2, "dev", e.conn, time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)).Fill(more)
	if err := e.store.CreateUsers(ctx, more...); err != nil {
		t.Fatal(err)
	}
	now, err := e.store.Watermark(ctx, "dev")
	if err != nil || now.Low <= marked.Low {
		t.Fatalf("watermark after the writes = %+v, %v; want above %+v", now, err, marked)
	}
	// A minute without a heartbeat: the cleanup hands the export to this
	// engine's worker, which finds the parts and writes them.
	e.clock.Advance(time.Minute + time.Second)
	done := e.waitFor(t, dead.ID, "completed", status(userport.JobCompleted))
	if done.Runner == "dead-runner" || !done.HasMark || done.Mark != marked || !done.MarkAt.Equal(dead.StartedAt) {
		t.Errorf("taken over: runner %q, mark %+v at %v (has %v); want the dead runner's %+v at %v",
			done.Runner, done.Mark, done.MarkAt, done.HasMark, marked, dead.StartedAt)
	}
	if got := e.parts(t, dead.ID); len(got) != 2 || got[0].Status != userport.JobCompleted || got[1].Status != userport.JobCompleted {
		t.Errorf("parts after the takeover: %+v, want the 2 planned, completed", got)
	}
	if done.Rows != 305 {
		t.Errorf("rows %d, want 305", done.Rows)
	}
}
