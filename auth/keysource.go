package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/vault"
)

// keySource keeps the PEM-encoded private keys of a KeySet, in order.
type keySource interface {
	// load returns every key, in order: the last one signs.
	load(ctx context.Context) ([]storedKey, error)
	// add stores data as key number seq, which sorts after every key of a
	// lower number; errKeyTaken when that number is taken.
	add(ctx context.Context, seq int, data []byte) error
	// remove deletes the key called name.
	remove(ctx context.Context, name string) error
	// String says where the keys are, for messages.
	String() string
}

// storedKey is one key as a keySource keeps it.
type storedKey struct {
	name      string // file or secret name
	seq       int    // its number; 0 for a file of another name
	pem       []byte
	createdAt time.Time
}

// errKeyTaken is keySource.add's error for a number another process took.
var errKeyTaken = errors.New("key number taken")

// nextSeq returns one more than the highest key number of keys.
func nextSeq(keys []storedKey) int {
	high := 0
	for _, k := range keys {
		high = max(high, k.seq)
	}
	return high + 1
}

// seqOf returns the number of a name prefix+digits+suffix, or 0.
func seqOf(name, prefix, suffix string) int {
	digits, ok := strings.CutPrefix(name, prefix)
	digits, ok2 := strings.CutSuffix(digits, suffix)
	if n, err := strconv.Atoi(digits); ok && ok2 && err == nil && n > 0 {
		return n
	}
	return 0
}

const (
	keyDir    = "signing-keys" // under the data directory
	keyPrefix = "key-"         // generated files are key-000001.pem, key-000002.pem, ...
	keySuffix = ".pem"
)

// fileSource keeps keys as PEM files in a directory, ordered by file name;
// an operator may place or delete files there too.
type fileSource struct{ dir string }

// newFileSource returns the source of <dir>/signing-keys, creating the
// directory (mode 0700).
func newFileSource(dir string) (fileSource, error) {
	src := fileSource{dir: filepath.Join(dir, keyDir)}
	if err := os.MkdirAll(src.dir, 0o700); err != nil {
		return src, fmt.Errorf("create key directory: %w", err)
	}
	return src, nil
}

func (s fileSource) String() string { return s.dir }

// load reads every *.pem file, in file name order.
func (s fileSource) load(context.Context) ([]storedKey, error) {
	files, err := filepath.Glob(filepath.Join(s.dir, "*"+keySuffix))
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	slices.Sort(files)
	keys := make([]storedKey, 0, len(files))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read signing key: %w", err)
		}
		k := storedKey{name: file, seq: seqOf(filepath.Base(file), keyPrefix, keySuffix), pem: data}
		if fi, err := os.Stat(file); err == nil {
			k.createdAt = fi.ModTime().UTC()
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// add writes data as key-NNNNNN.pem. The file appears complete or not at
// all (temporary file, fsync, then a hard link that never replaces an
// existing file, then a directory fsync).
func (s fileSource) add(_ context.Context, seq int, data []byte) error {
	tmp, err := writeTemp(s.dir, data)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	name := filepath.Join(s.dir, fmt.Sprintf("%s%06d%s", keyPrefix, seq, keySuffix))
	if err := os.Link(tmp, name); errors.Is(err, os.ErrExist) {
		return errKeyTaken
	} else if err != nil {
		return fmt.Errorf("store signing key: %w", err)
	}
	return syncDir(s.dir)
}

// remove deletes the key file name.
func (s fileSource) remove(_ context.Context, name string) error {
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("remove signing key: %w", err)
	}
	return syncDir(s.dir)
}

// writeTemp writes data to a new mode 0600 temporary file in dir and fsyncs it.
func writeTemp(dir string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, ".key-*.tmp")
	if err != nil {
		return "", fmt.Errorf("create key file: %w", err)
	}
	name := f.Name()
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", fmt.Errorf("write key file: %w", err)
	}
	return name, nil
}

// syncDir fsyncs a directory so that a new entry in it survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open key directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync key directory: %w", err)
	}
	return nil
}

// vaultPrefix names the signing keys among a vault's secrets:
// signing-key/000001, signing-key/000002, ...
const vaultPrefix = "signing-key/"

// vaultSource keeps keys as secrets of a vault, sealed in the database that
// every node shares, ordered by name.
type vaultSource struct{ v *vault.Vault }

func (s vaultSource) String() string { return "the database" }

// load reads every signing key secret, in name order.
func (s vaultSource) load(ctx context.Context) ([]storedKey, error) {
	secrets, err := s.v.List(ctx, vaultPrefix)
	if err != nil {
		return nil, fmt.Errorf("read signing keys: %w", err)
	}
	keys := make([]storedKey, len(secrets))
	for i, sec := range secrets {
		keys[i] = storedKey{name: sec.Name, seq: seqOf(sec.Name, vaultPrefix, ""), pem: sec.Value, createdAt: sec.CreatedAt}
	}
	return keys, nil
}

// add stores data as the secret signing-key/NNNNNN.
func (s vaultSource) add(ctx context.Context, seq int, data []byte) error {
	err := s.v.Add(ctx, fmt.Sprintf("%s%06d", vaultPrefix, seq), data)
	if userport.ErrorCode(err) == userport.ECONFLICT {
		return errKeyTaken
	} else if err != nil {
		return fmt.Errorf("store signing key: %w", err)
	}
	return nil
}

// remove deletes the secret name.
func (s vaultSource) remove(ctx context.Context, name string) error {
	if err := s.v.Delete(ctx, name); err != nil {
		return fmt.Errorf("remove signing key: %w", err)
	}
	return nil
}
