//go:build unix

package sqlite_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
)

// TestFileModes: under the usual umask 0022 and in a directory others may
// read, the database, -wal, -shm and -wait files are the owner's alone, whether
// Open creates them or finds them readable by others (another process had
// them open, or an older version made them).
func TestFileModes(t *testing.T) {
	testutil.Umask(t, 0o022)
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "userport.db")
	files := []string{path, path + "-wal", path + "-shm", path + "-wait"}
	wantModes := func(when string) {
		t.Helper()
		for _, f := range files {
			fi, err := os.Stat(f)
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if got := fi.Mode().Perm(); got != 0o600 {
				t.Errorf("%s: %s has mode %#o, want 0600", when, filepath.Base(f), got)
			}
		}
	}

	first := open(t, path)
	defer first.Close()
	c := &userport.Connection{Tenant: "dev", ID: userport.NewConnectionID(), Name: "c", Strategy: "auth0"}
	if err := first.CreateConnection(t.Context(), c); err != nil { // writes the WAL
		t.Fatal(err)
	}
	wantModes("created")

	for _, f := range files {
		if err := os.Chmod(f, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	second := open(t, path)
	defer second.Close()
	wantModes("reopened")
}
