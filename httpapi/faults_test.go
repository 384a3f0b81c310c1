package httpapi_test

// Faults under a running export, injected in-process: a blob store that
// fails its writes, and API writes racing the export's scan.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/jobs"
)

// workFaulty starts the job workers writing through f (its BlobStore set
// here to the real one).
func (e *env) workFaulty(f *testutil.FaultyBlobs) {
	e.t.Helper()
	e.work(func(_ *jobs.Config, deps *jobs.Deps) {
		f.BlobStore = deps.Blobs
		deps.Blobs = f
	})
}

// exFiles lists the files left under the job's export directory.
func (e *env) exFiles(jobID string) []string {
	e.t.Helper()
	var files []string
	err := filepath.WalkDir(filepath.Join(e.filesDir, jobID), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		e.t.Fatal(err)
	}
	return files
}

// TestExportBlobWriteFails makes the disk fill up under an export: the job
// fails with a reason, serves nothing partial, leaves no file behind, and
// the server goes on answering (the next export, disk freed, completes).
func TestExportBlobWriteFails(t *testing.T) {
	t.Parallel()
	full := fmt.Errorf("write export: %w", syscall.ENOSPC)
	tests := []struct {
		name   string
		faults func(f *testutil.FaultyBlobs, broken *atomic.Bool)
	}{
		{"write after the first bytes", func(f *testutil.FaultyBlobs, broken *atomic.Bool) {
			var written atomic.Int64
			f.Write = func(_ context.Context, p []byte) error {
				if broken.Load() && written.Add(int64(len(p))) > 1024 {
					return full
				}
				return nil
			}
		}},
		{"commit", func(f *testutil.FaultyBlobs, broken *atomic.Bool) {
			f.Commit = func() error {
				if broken.Load() {
					return full
				}
				return nil
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var broken atomic.Bool
			broken.Store(true)
			b := setup(t)
			f := &testutil.FaultyBlobs{}
			tt.faults(f, &broken)
			b.workFaulty(f)
			b.putUsers(b.connection(upa), 0, 2000)
			j := b.wait(b.exCreate(`{"format":"json"}`).ID)
			if j.Status != "failed" || j.StatusDetails == "" || j.Location != "" {
				t.Fatalf("export on a full disk: %s", j.Raw)
			}
			if files := b.exFiles(j.ID); len(files) != 0 {
				t.Errorf("files left by the failed export: %v", files)
			}
			b.admin(http.MethodGet, "/users?per_page=1", nil).wantStatus(t, http.StatusOK)
			broken.Store(false)
			done := b.completed(b.exCreate(`{"format":"json"}`).ID)
			if n := bytes.Count(b.exDownload(done), []byte("\n")); n != 2000 {
				t.Errorf("the export after the disk was freed has %d users, want 2000", n)
			}
			if len(b.exFiles(done.ID)) == 0 {
				t.Errorf("exFiles finds no file of the completed export under %s", b.filesDir)
			}
		})
	}
}

// TestExportDuringWrites creates, updates and deletes users while an export
// runs: every user that existed from before the export to after it appears
// exactly once, and no user twice (the export's keyset scan by user_id).
func TestExportDuringWrites(t *testing.T) {
	t.Parallel()
	const users = 20_000
	b := setup(t)
	b.seed(users)
	// The export waits, at its first write, for 60 writes of the API (most
	// of them ahead of its cursor), then goes on slowly while they go on.
	var ops atomic.Int64
	b.workFaulty(&testutil.FaultyBlobs{Write: func(context.Context, []byte) error {
		for ops.Load() < 60 {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(10 * time.Millisecond)
		return nil
	}})
	before, _ := b.docs("")
	j := b.exCreate(`{"format":"json","fields":[{"name":"user_id"},{"name":"email"},{"name":"user_metadata.v"}]}`)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	deleted := &deletions{ids: map[string]bool{}}
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.writeDuring(stop, w, before, deleted, &ops)
		}()
	}
	done := b.wait(j.ID)
	close(stop)
	wg.Wait()
	if done.Status != "completed" {
		t.Fatalf("export: %s", done.Raw)
	}
	seen := map[string]int{}
	for _, id := range testutil.NDJSONIDs(t, b.exDownload(done)) {
		seen[id]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("user %s is %d times in the file", id, n)
		}
	}
	missing := 0
	for _, id := range before {
		if !deleted.ids[id] && seen[id] != 1 {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d users that existed throughout the export are not in its file", missing)
	}
	t.Logf("%d writes and %d deletes during the export, %d users in the file", ops.Load(), len(deleted.ids), len(seen))
}

// deletions are the users deleted during an export.
type deletions struct {
	mu  sync.Mutex
	ids map[string]bool
}

// writeDuring is writer w of TestExportDuringWrites: until stop, it creates
// users, updates and (writer 0 only, so deleted is what was deleted)
// deletes users of before, counting each write in ops.
func (e *env) writeDuring(stop chan struct{}, w int, before []string, deleted *deletions, ops *atomic.Int64) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		// Spread over the key space: the scan meets writes ahead of and
		// behind its cursor.
		victim := before[(i*7919+w*104729)%len(before)]
		var r *response
		switch i % 3 {
		case 0:
			r = e.admin(http.MethodPost, "/users", map[string]any{"connection": upa,
				"email": fmt.Sprintf("during%d-%d@example.com", w, i), "password": "Passw0rd!Passw0rd"})
			r.wantStatus(e.t, http.StatusCreated)
		case 1:
			r = e.admin(http.MethodPatch, "/users/"+victim, map[string]any{"user_metadata": map[string]any{"v": i}})
		case 2:
			if w != 0 {
				continue
			}
			r = e.admin(http.MethodDelete, "/users/"+victim, nil)
			if r.status == http.StatusNoContent {
				deleted.mu.Lock()
				deleted.ids[victim] = true
				deleted.mu.Unlock()
			}
		}
		ops.Add(1)
		if r.status >= 500 {
			e.t.Errorf("%d during the export: %s", r.status, r.body)
		}
	}
}
