package atomicfile_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/userport/userport/internal/atomicfile"
)

// TestWrite: a file is written whole, mode 0600; a failed fill leaves the
// file there was and nothing else.
func TestWrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := atomicfile.WriteBytes(path, []byte("one")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	n, err := atomicfile.Write(path, func(w io.Writer) error {
		_, _ = w.Write([]byte("two, half"))
		return boom
	})
	if n != 0 || !errors.Is(err, boom) {
		t.Errorf("Write of a failing fill = %d, %v", n, err)
	}
	data, _ := os.ReadFile(path)
	st, _ := os.Stat(path)
	if string(data) != "one" || st.Mode().Perm() != 0o600 {
		t.Errorf("the file holds %q, mode %v; want one, 0600", data, st.Mode())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files left: %v", entries)
	}
	if _, err := atomicfile.Write(filepath.Join(dir, "no", "f"), func(io.Writer) error { return nil }); err == nil {
		t.Error("Write into a missing directory succeeded")
	}
}
