package localblob_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/userport/userport/localblob"
)

func TestLoadOrCreateKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "download-key")
	key, err := localblob.LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(key) != localblob.KeySize || bytes.Equal(key, make([]byte, localblob.KeySize)) {
		t.Fatalf("key %x, want %d random bytes", key, localblob.KeySize)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Errorf("directory holds %v (%v), want only the key file", entries, err)
	}
	again, err := localblob.LoadOrCreateKey(path)
	if err != nil || !bytes.Equal(again, key) {
		t.Fatalf("second load: %x, %v; want the same key %x", again, err, key)
	}
}

func TestLoadOrCreateKeyRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "download-key")
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			var err error
			if keys[i], err = localblob.LoadOrCreateKey(path); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i, k := range keys {
		if !bytes.Equal(k, keys[0]) {
			t.Fatalf("caller %d got key %x, caller 0 got %x", i, k, keys[0])
		}
	}
}

func TestLoadOrCreateKeyRejectsBadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "download-key")
	if err := os.WriteFile(path, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if key, err := localblob.LoadOrCreateKey(path); err == nil {
		t.Fatalf("LoadOrCreateKey of a 5-byte file: %x, want an error", key)
	}
}

// TestLinksSurviveRestart signs a link, then serves it from a new store that
// loaded the same key file: a restarted server.
func TestLinksSurviveRestart(t *testing.T) {
	s := newServer(t)
	const key = "job_8/dev.csv.gz"
	s.put(t, key, []byte(gzipBytes))
	keyFile := filepath.Join(t.TempDir(), "download-key")
	signingKey, err := localblob.LoadOrCreateKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	before, err := localblob.New(s.dir, s.url, signingKey, s.clock)
	if err != nil {
		t.Fatal(err)
	}
	u, err := before.SignedURL(context.Background(), key, time.Minute, "")
	if err != nil {
		t.Fatal(err)
	}

	reloaded, err := localblob.LoadOrCreateKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	after, err := localblob.New(s.dir, s.url, reloaded, s.clock)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder(t, after, u)
	if rec.Status != http.StatusOK || rec.Body != gzipBytes {
		t.Fatalf("after restart: %d, want 200 and the file", rec.Status)
	}
}
