package localblob

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// KeySize is the size in bytes of the signing key LoadOrCreateKey keeps.
const KeySize = 32

// LoadOrCreateKey returns the signing key kept in the file at path, creating
// the file (mode 0600, and its directory, mode 0700) with KeySize random bytes
// when it does not exist, so that signed URLs stay valid across restarts. The
// file appears complete or not at all, and of processes racing to create it,
// all end up with the same key.
func LoadOrCreateKey(path string) ([]byte, error) {
	key, err := readKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := createKey(path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("create signing key: %w", err)
	}
	return readKey(path)
}

func readKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("signing key %s holds %d bytes, want %d", path, len(key), KeySize)
	}
	return key, nil
}

// createKey writes a random key to a temporary file, then links it to path,
// which fails with fs.ErrExist if another process created path first.
func createKey(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-key-*") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(NewKey())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(f.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// NewKey returns a new random signing key of KeySize bytes.
func NewKey() []byte {
	key := make([]byte, KeySize)
	_, _ = rand.Read(key) // crypto/rand.Read never fails (Go 1.24+)
	return key
}
