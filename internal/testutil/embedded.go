package testutil

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/localblob"
	"github.com/userport/userport/sqlite"
)

// Embedded is the embedded default opened for a test: a fresh SQLite file and
// blob directory, the tenant "dev" with its default connection, and a clock
// stopped at a fixed time.
type Embedded struct {
	Store *sqlite.DB
	// DBPath is the SQLite file of Store (with its -wal and -shm).
	DBPath string
	Blobs  *localblob.Store
	// BlobDir is where Blobs keeps its files.
	BlobDir string
	Conn    *userport.Connection
	Clock   *Clock
}

// NewEmbedded opens an Embedded in t.TempDir(), closed when the test ends.
func NewEmbedded(t testing.TB) *Embedded {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "userport.db")
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	clock := NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	blobDir := filepath.Join(dir, "blobs")
	blobs, err := localblob.New(blobDir, "http://127.0.0.1:1", make([]byte, 32), clock)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := userport.EnsureTenant(ctx, store, "dev", clock)
	if err != nil {
		t.Fatal(err)
	}
	return &Embedded{Store: store, DBPath: path, Blobs: blobs, BlobDir: blobDir, Conn: conn, Clock: clock}
}

// OpenSQLite opens a new SQLite store in t.TempDir(), closed when the test
// ends: an empty one, without the tenant NewEmbedded makes.
func OpenSQLite(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "userport.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
