package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
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

	"github.com/userport/userport"
)

// faultyBlobs is the real blob store with its writers' Write or Commit
// replaced when the function is set.
type faultyBlobs struct {
	userport.BlobStore
	write  func(p []byte) error // nil: the real Write
	commit func() error         // nil: the real Commit
}

func (f *faultyBlobs) Create(ctx context.Context, key string) (userport.BlobWriter, error) {
	w, err := f.BlobStore.Create(ctx, key)
	if err != nil {
		return nil, err
	}
	return &faultyWriter{BlobWriter: w, blobs: f}, nil
}

type faultyWriter struct {
	userport.BlobWriter
	blobs *faultyBlobs
}

func (w *faultyWriter) Write(p []byte) (int, error) {
	if w.blobs.write != nil {
		if err := w.blobs.write(p); err != nil {
			return 0, err
		}
	}
	return w.BlobWriter.Write(p)
}

func (w *faultyWriter) Commit() error {
	if w.blobs.commit != nil {
		if err := w.blobs.commit(); err != nil {
			_ = w.BlobWriter.Abort()
			return err
		}
	}
	return w.BlobWriter.Commit()
}

// exFiles lists the files left under the job's export directory.
func exFiles(t *testing.T, b *bundle, jobID string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(filepath.Join(b.m.Config.DataDir, "exports", jobID), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
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
		faults func(f *faultyBlobs, broken *atomic.Bool)
	}{
		{"write after the first bytes", func(f *faultyBlobs, broken *atomic.Bool) {
			var written atomic.Int64
			f.write = func(p []byte) error {
				if broken.Load() && written.Add(int64(len(p))) > 1024 {
					return full
				}
				return nil
			}
		}},
		{"commit", func(f *faultyBlobs, broken *atomic.Bool) {
			f.commit = func() error {
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
			b := startMain(t, exConfig(t), newTestClock(), func(m *Main) {
				m.wrapBlobs = func(real userport.BlobStore) userport.BlobStore {
					f := &faultyBlobs{BlobStore: real}
					tt.faults(f, &broken)
					return f
				}
			})
			b.putUsers(b.connection("Username-Password-Authentication"), 0, 2000)
			j := b.exWait(b.exCreate(`{"format":"json"}`).ID)
			if j.Status != "failed" || j.StatusDetails == "" || j.Location != "" {
				t.Fatalf("export on a full disk: %s", j.raw)
			}
			if files := exFiles(t, b, j.ID); len(files) != 0 {
				t.Errorf("files left by the failed export: %v", files)
			}
			b.admin(http.MethodGet, "/users?per_page=1", nil).wantStatus(t, http.StatusOK)
			broken.Store(false)
			done := b.exCompleted(b.exCreate(`{"format":"json"}`).ID)
			if n := bytes.Count(b.exDownload(done), []byte("\n")); n != 2000 {
				t.Errorf("the export after the disk was freed has %d users, want 2000", n)
			}
		})
	}
}

// TestExportHandedBackOnShutdown stops the server (Main.Close, what SIGTERM
// runs) while an export runs and a request is in flight: the request is
// answered, the export goes back to pending, and a server started again on
// the same data dir completes it with every user.
func TestExportHandedBackOnShutdown(t *testing.T) {
	const users = 10_000
	cfg := exFromTemplate(t, exSeedTemplate(t, users))
	// The export's writes wait for their job's cancellation: it is still
	// running when the server stops, and outlasts Close's wait.
	b := startMain(t, cfg, newTestClock(), func(m *Main) {
		m.jobsWait = time.Second
		m.wrapBlobs = func(real userport.BlobStore) userport.BlobStore {
			return &stalledBlobs{real}
		}
	})
	j := b.exCreate(`{"format":"json"}`)
	exPoll(t, 10*time.Second, "the export to start", func() bool {
		return b.exJob(j.ID).Status != "pending"
	})
	finish := b.inFlightCreate("late@example.com")
	closed := make(chan error, 1)
	go func() { closed <- b.m.Close() }()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", b.logs.String())
		}
	})
	if status, body := finish(); status != http.StatusCreated {
		t.Fatalf("in-flight request during shutdown: %d %s", status, body)
	}
	// The export outlasts Close's wait, which says so, and is cancelled.
	if err := <-closed; err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close: %v", err)
	}

	b = start(t, cfg, newTestClock())
	stored, err := b.exStoredJob(j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != userport.JobPending && stored.Status != userport.JobProcessing {
		// processing: the new engine took it again already.
		t.Fatalf("after shutdown the export is %s (%s), want handed back", stored.Status, stored.StatusDetails)
	}
	done := b.exCompleted(j.ID)
	ids := exNDJSONIDs(t, b.exDownload(done))
	if len(ids) != users+1 {
		t.Errorf("the export completed after the restart has %d users, want %d", len(ids), users+1)
	}
}

// stalledBlobs is the real blob store whose writers write nothing until
// their job is cancelled.
type stalledBlobs struct{ userport.BlobStore }

func (s *stalledBlobs) Create(ctx context.Context, key string) (userport.BlobWriter, error) {
	f := &faultyBlobs{BlobStore: s.BlobStore, write: func([]byte) error {
		<-ctx.Done()
		return ctx.Err()
	}}
	return f.Create(ctx, key)
}

// exNDJSONIDs returns the user_id of every line of an NDJSON export.
func exNDJSONIDs(t *testing.T, data []byte) []string {
	t.Helper()
	var ids []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var u struct {
			UserID string `json:"user_id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &u); err != nil || u.UserID == "" {
			t.Fatalf("export line without a user_id (%v): %s", err, sc.Bytes())
		}
		ids = append(ids, u.UserID)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestExportDuringWrites creates, updates and deletes users while an export
// runs: every user that existed from before the export to after it appears
// exactly once, and no user twice (the export's keyset scan by user_id).
func TestExportDuringWrites(t *testing.T) {
	const users = 20_000
	// The export waits, at its first write, for 60 writes of the API (most
	// of them ahead of its cursor), then goes on slowly while they go on.
	var ops atomic.Int64
	b := startMain(t, exFromTemplate(t, exSeedTemplate(t, users)), newTestClock(), func(m *Main) {
		m.wrapBlobs = func(real userport.BlobStore) userport.BlobStore {
			return &faultyBlobs{BlobStore: real, write: func([]byte) error {
				for ops.Load() < 60 {
					time.Sleep(5 * time.Millisecond)
				}
				time.Sleep(10 * time.Millisecond)
				return nil
			}}
		}
	})
	before, _ := b.exDocs("")
	j := b.exCreate(`{"format":"json","fields":[{"name":"user_id"},{"name":"email"},{"name":"user_metadata.v"}]}`)

	var mu sync.Mutex
	deleted := map[string]bool{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				// Spread over the key space: the scan meets writes ahead of
				// and behind its cursor.
				victim := before[(i*7919+w*104729)%len(before)]
				var r *response
				switch i % 3 {
				case 0:
					r = b.admin(http.MethodPost, "/users", map[string]any{"connection": "Username-Password-Authentication",
						"email": fmt.Sprintf("during%d-%d@example.com", w, i), "password": "Passw0rd!Passw0rd"})
					r.wantStatus(t, http.StatusCreated)
				case 1:
					r = b.admin(http.MethodPatch, "/users/"+victim, map[string]any{"user_metadata": map[string]any{"v": i}})
				case 2:
					if w != 0 {
						continue // one deleter, so deleted is what was deleted
					}
					r = b.admin(http.MethodDelete, "/users/"+victim, nil)
					if r.status == http.StatusNoContent {
						mu.Lock()
						deleted[victim] = true
						mu.Unlock()
					}
				}
				ops.Add(1)
				if r.status >= 500 {
					t.Errorf("%d during the export: %s", r.status, r.body)
				}
			}
		}()
	}
	done := b.exWait(j.ID)
	close(stop)
	wg.Wait()
	if done.Status != "completed" {
		t.Fatalf("export: %s", done.raw)
	}
	seen := map[string]int{}
	for _, id := range exNDJSONIDs(t, b.exDownload(done)) {
		seen[id]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("user %s is %d times in the file", id, n)
		}
	}
	missing := 0
	for _, id := range before {
		if !deleted[id] && seen[id] != 1 {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d users that existed throughout the export are not in its file", missing)
	}
	t.Logf("%d writes and %d deletes during the export, %d users in the file", ops.Load(), len(deleted), len(seen))
}
