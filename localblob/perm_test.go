//go:build unix

package localblob_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/userport/userport/internal/testutil"
)

// TestFileModes: under the usual umask 0022, blob files (export files and
// import uploads) are mode 0600 and the directories made for them 0700.
func TestFileModes(t *testing.T) {
	testutil.Umask(t, 0o022)
	s := newSetup(t, "http://127.0.0.1:1/")
	s.put(t, "imports/job_1/users", []byte("[]"))
	s.put(t, "job_2/runner/dev.csv.gz", []byte(gzipBytes))
	want := map[string]os.FileMode{
		"":                        0o700,
		"imports":                 0o700,
		"imports/job_1":           0o700,
		"imports/job_1/users":     0o600,
		"job_2":                   0o700,
		"job_2/runner":            0o700,
		"job_2/runner/dev.csv.gz": 0o600,
	}
	for name, mode := range want {
		fi, err := os.Stat(filepath.Join(s.dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != mode {
			t.Errorf("%q has mode %#o, want %#o", name, got, mode)
		}
	}
}
