package localblob_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/localblob"
)

var (
	t0      = time.Unix(1_700_000_000, 0).UTC()
	testKey = bytes.Repeat([]byte("k"), localblob.KeySize)
)

type setup struct {
	dir   string
	store *localblob.Store
	clock *testutil.Clock
}

func newSetup(t *testing.T, baseURL string) *setup {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "exports")
	clock := testutil.NewClock(t0)
	s, err := localblob.New(dir, baseURL, testKey, clock)
	if err != nil {
		t.Fatal(err)
	}
	return &setup{dir: dir, store: s, clock: clock}
}

// put writes and commits a blob.
func (s *setup) put(t *testing.T, key string, data []byte) {
	t.Helper()
	w, err := s.store.Create(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
}

// read returns a blob's bytes.
func (s *setup) read(t *testing.T, key string) []byte {
	t.Helper()
	r, err := s.store.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// files lists the files and directories under the store's directory.
func (s *setup) files(t *testing.T) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
		if path != s.dir {
			rel, _ := filepath.Rel(s.dir, path)
			names = append(names, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func notExist(t *testing.T, s *setup, key string) {
	t.Helper()
	if r, err := s.store.Open(context.Background(), key); !errors.Is(err, fs.ErrNotExist) {
		if r != nil {
			r.Close()
		}
		t.Fatalf("Open(%q): %v, want fs.ErrNotExist", key, err)
	}
	if _, err := s.store.Size(context.Background(), key); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Size(%q): %v, want fs.ErrNotExist", key, err)
	}
}

func TestRoundTrip(t *testing.T) {
	s := newSetup(t, "http://example.test")
	ctx := context.Background()
	const key = "job_AbCdEfGhIjKlMnOp/dev.csv.gz"
	w, err := s.store.Create(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Repeat([]byte("0123456789"), 10000)
	for chunk := range slices.Chunk(want, 4096) {
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := s.read(t, key); !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, want %d", len(got), len(want))
	}
	if size, err := s.store.Size(ctx, key); err != nil || size != int64(len(want)) {
		t.Fatalf("Size = %d, %v; want %d", size, err, len(want))
	}
	if got, want := s.files(t), []string{"job_AbCdEfGhIjKlMnOp", key}; !equal(got, want) {
		t.Fatalf("files %q, want %q", got, want)
	}
	if err := s.store.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	notExist(t, s, key)
	if got := s.files(t); len(got) != 0 {
		t.Fatalf("after Delete: files %q, want none", got)
	}
	if err := s.store.Delete(ctx, key); err != nil {
		t.Fatalf("Delete of a missing blob: %v", err)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestAbortLeavesNothing(t *testing.T) {
	s := newSetup(t, "http://example.test")
	const key = "job_1/a/dev.json.gz"
	w, err := s.store.Create(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("partial")); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	notExist(t, s, key)
	if got := s.files(t); len(got) != 0 {
		t.Fatalf("after Abort: files %q, want none", got)
	}
	if _, err := w.Write([]byte("more")); err == nil {
		t.Errorf("Write after Abort succeeded")
	}
	if err := w.Commit(); err == nil {
		t.Errorf("Commit after Abort succeeded")
	}
	notExist(t, s, key)
}

func TestReaderNeverSeesPartialFile(t *testing.T) {
	s := newSetup(t, "http://example.test")
	const key = "job_2/dev.csv.gz"
	w, err := s.store.Create(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("version 1")); err != nil {
		t.Fatal(err)
	}
	notExist(t, s, key)
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}

	// Rewriting a blob: the old one stays whole until the new one is committed.
	w, err = s.store.Create(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("version 2, longer")); err != nil {
		t.Fatal(err)
	}
	if got := string(s.read(t, key)); got != "version 1" {
		t.Fatalf("before Commit: read %q, want the old blob", got)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := string(s.read(t, key)); got != "version 2, longer" {
		t.Fatalf("after Commit: read %q", got)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("Abort after Commit: %v, want nil", err)
	}
	if err := w.Commit(); err == nil {
		t.Errorf("second Commit succeeded")
	}
	if got := string(s.read(t, key)); got != "version 2, longer" {
		t.Fatalf("after Abort: read %q", got)
	}
}

func TestDeleteKeepsOtherBlobs(t *testing.T) {
	s := newSetup(t, "http://example.test")
	s.put(t, "job_3/dev.csv.gz", []byte("csv"))
	s.put(t, "job_3/dev.json.gz", []byte("json"))
	if err := s.store.Delete(context.Background(), "job_3/dev.csv.gz"); err != nil {
		t.Fatal(err)
	}
	notExist(t, s, "job_3/dev.csv.gz")
	if got := string(s.read(t, "job_3/dev.json.gz")); got != "json" {
		t.Fatalf("read %q, want json", got)
	}
	if err := s.store.Delete(context.Background(), "job_3"); err != nil {
		t.Fatalf("Delete of a directory: %v, want nil (no such blob)", err)
	}
	notExist(t, s, "job_3")
	if got := string(s.read(t, "job_3/dev.json.gz")); got != "json" {
		t.Fatalf("after deleting the directory's name: read %q, want json", got)
	}
}

func TestDeleteDir(t *testing.T) {
	s := newSetup(t, "http://example.test")
	ctx := context.Background()
	s.put(t, "job_5/r1/dev.csv.gz", []byte("csv"))
	s.put(t, "job_5/dev.json.gz", []byte("json"))
	s.put(t, "job_50/r1/dev.csv.gz", []byte("other job"))
	// A writer whose process was killed: its temporary file stays behind.
	w, err := s.store.Create(ctx, "job_5/r2/dev.csv.gz")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("partial")); err != nil {
		t.Fatal(err)
	}
	if err := s.store.DeleteDir(ctx, "job_5"); err != nil {
		t.Fatal(err)
	}
	notExist(t, s, "job_5/r1/dev.csv.gz")
	notExist(t, s, "job_5/dev.json.gz")
	if got, want := s.files(t), []string{"job_50", "job_50/r1", "job_50/r1/dev.csv.gz"}; !slices.Equal(got, want) {
		t.Fatalf("after DeleteDir(job_5): files %q, want %q", got, want)
	}
	if err := s.store.DeleteDir(ctx, "job_5"); err != nil {
		t.Errorf("DeleteDir of a missing directory: %v", err)
	}
	if err := s.store.DeleteDir(ctx, "job_50/r1"); err != nil {
		t.Fatal(err)
	}
	if got := s.files(t); len(got) != 0 {
		t.Fatalf("after DeleteDir(job_50/r1): files %q, want none (empty parents go too)", got)
	}
}

func TestBadKeys(t *testing.T) {
	s := newSetup(t, "http://example.test")
	ctx := context.Background()
	for _, key := range []string{
		"", ".", "..", "../x", "a/../b", "a/..", "/abs", "a//b", "a/", "a\\b", "..\\x",
		".tmp-123", "a/.tmp-123", "a/./b", ".hidden", "nul\x00byte", "line\nbreak",
	} {
		calls := map[string]error{}
		_, calls["Create"] = s.store.Create(ctx, key)
		_, calls["Open"] = s.store.Open(ctx, key)
		_, calls["Size"] = s.store.Size(ctx, key)
		_, calls["SignedURL"] = s.store.SignedURL(ctx, key, time.Minute, "")
		calls["Delete"] = s.store.Delete(ctx, key)
		calls["DeleteDir"] = s.store.DeleteDir(ctx, key)
		for call, err := range calls {
			if userport.ErrorCode(err) != userport.EINVALID {
				t.Errorf("%s(%q): %v, want an EINVALID error", call, key, err)
			}
		}
	}
	if got := s.files(t); len(got) != 0 {
		t.Fatalf("files %q, want none", got)
	}
}

func TestCanceledContext(t *testing.T) {
	s := newSetup(t, "http://example.test")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.store.Create(ctx, "job_4/dev.csv.gz"); !errors.Is(err, context.Canceled) {
		t.Errorf("Create: %v, want context.Canceled", err)
	}
	if _, err := s.store.Open(ctx, "job_4/dev.csv.gz"); !errors.Is(err, context.Canceled) {
		t.Errorf("Open: %v, want context.Canceled", err)
	}
}

func TestNewRejectsBadArguments(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, baseURL string
		key           []byte
	}{
		{"short key", "http://example.test", testKey[:16]},
		{"relative URL", "example.test/downloads", testKey},
		{"ftp URL", "ftp://example.test", testKey},
		{"URL with a query", "http://example.test/?a=b", testKey},
	}
	for _, tt := range tests {
		if _, err := localblob.New(dir, tt.baseURL, tt.key, nil); err == nil {
			t.Errorf("%s: New succeeded", tt.name)
		}
	}
	if _, err := localblob.New(filepath.Join(dir, "a", "b"), "https://example.test/base/", testKey, nil); err != nil {
		t.Errorf("New with a new directory and a base path: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a", "b")); err != nil {
		t.Errorf("New did not create its directory: %v", err)
	}
}

// TestLargeBlobInChunks writes a blob larger than several writeback chunks
// in uneven writes, so that writeback starts mid-file, and reads it back.
func TestLargeBlobInChunks(t *testing.T) {
	s := newSetup(t, "http://127.0.0.1:1")
	data := make([]byte, 20<<20+12345)
	for i := range data {
		data[i] = byte(i*7 + i>>13)
	}
	w, err := s.store.Create(context.Background(), "job_large/dev.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	for rest := data; len(rest) > 0; {
		n := min(len(rest), 3<<20+17)
		if _, err := w.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := s.read(t, "job_large/dev.json.gz"); !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, not the %d written", len(got), len(data))
	}
}
