//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/userport/userport/internal/testutil"
)

// TestDataFileModes: with the usual umask 0022 and a data dir others may
// read, the database and its -wal and -shm files are the owner's alone, and
// the server warns about the data dir (and not about a 0700 one).
func TestDataFileModes(t *testing.T) {
	testutil.Umask(t, 0o022)
	const warning = "the data dir is open to other users"
	for _, mode := range []os.FileMode{0o755, 0o700} {
		dir := t.TempDir()
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		installTestKey(t, dir)
		b := start(t, testConfig(dir), newTestClock())
		b.createUser(map[string]any{"connection": upa, "email": "a@example.com", "password": "Passw0rd!long"})
		for _, name := range []string{"userport.db", "userport.db-wal", "userport.db-shm"} {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != 0o600 {
				t.Errorf("data dir %#o: %s has mode %#o, want 0600", mode, name, got)
			}
		}
		logs := b.logs.String()
		if warned := strings.Contains(logs, warning); warned != (mode == 0o755) {
			t.Errorf("data dir %#o: warned %v; logs:\n%s", mode, warned, logs)
		}
	}
}
