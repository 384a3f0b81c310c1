// Package atomicfile writes a file whole or not at all: into a temporary
// file of the same directory (mode 0600), synced, then renamed over the
// path, so that a reader, or a crash, never sees part of it.
package atomicfile

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
)

// Write writes path through fill and returns its size. A failure of fill
// (or of the disk) leaves path as it was and no temporary file behind.
func Write(path string, fill func(io.Writer) error) (int64, error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.part") // mode 0600
	if err != nil {
		return 0, err
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	err = fill(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		return 0, err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return 0, err
	}
	done = true
	syncDir(dir)
	return st.Size(), nil
}

// WriteBytes writes data as path, atomically.
func WriteBytes(path string, data []byte) error {
	_, err := Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	return err
}

// syncDir makes a rename in dir durable, where the system allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
