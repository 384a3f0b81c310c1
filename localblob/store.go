// Package localblob is the userport.BlobStore on local disk.
//
// Blobs are files under one directory, named by slash-separated keys
// ("job_AbC.../dev.csv.gz"). A blob is written to a temporary file next to its
// final name and renamed into place when committed, after an fsync of the file
// and followed by one of the directory, so a reader never sees a partial file.
//
// The store signs its own download URLs with HMAC-SHA256 and serves them
// (Handler): {baseURL}/exports/{key}?Expires=<unix>&Signature=<mac>.
package localblob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/userport/userport"
)

// Store keeps blobs as files under a directory. It is safe for concurrent use.
type Store struct {
	dir     string
	baseURL string
	key     []byte
	clock   userport.Clock
	tenant  string // signed into every download link; see ForTenant
}

var _ userport.BlobStore = (*Store)(nil)

// New returns a store of the files under dir, created (mode 0700) if missing,
// whose signed
// URLs start with baseURL (an absolute http or https URL; a trailing slash is
// dropped) and are signed with key, at least KeySize bytes (see
// LoadOrCreateKey). clock decides when links expire; nil means
// userport.SystemClock.
func New(dir, baseURL string, key []byte, clock userport.Clock) (*Store, error) {
	if len(key) < KeySize {
		return nil, fmt.Errorf("localblob: signing key of %d bytes, want at least %d", len(key), KeySize)
	}
	base, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("localblob: directory %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("localblob: %w", err)
	}
	if clock == nil {
		clock = userport.SystemClock{}
	}
	return &Store{dir: abs, baseURL: base, key: append([]byte(nil), key...), clock: clock}, nil
}

// ForTenant returns a store of the same files whose download links are
// bound to tenant: SignedURL signs the tenant with the key and expiry, and
// Handler serves only links signed for that tenant, so that servers of two
// tenants that share a directory and a signing key refuse each other's links.
// A store that New returned signs for no tenant. A tenant holding a control
// character is an EINVALID error.
func (s *Store) ForTenant(tenant string) (*Store, error) {
	if strings.ContainsFunc(tenant, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return nil, userport.Errorf(userport.EINVALID, "", "invalid tenant %q for download links", tenant)
	}
	cp := *s
	cp.tenant = tenant
	return &cp, nil
}

func parseBaseURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("localblob: invalid base URL %q: want http(s)://host[:port][/path]", s)
	}
	return strings.TrimRight(s, "/"), nil
}

// checkKey accepts relative slash paths whose segments are not empty and do not
// start with a dot (no "..", no hidden or temporary files), without
// backslashes or control characters.
func checkKey(key string) error {
	ok := fs.ValidPath(key) && key != "." && len(key) <= 1024 &&
		!strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' })
	for seg := range strings.SplitSeq(key, "/") {
		ok = ok && !strings.HasPrefix(seg, ".")
	}
	if !ok {
		return userport.Errorf(userport.EINVALID, "", "invalid blob key %q", key)
	}
	return nil
}

// path returns the file of key, which checkKey accepted.
func (s *Store) path(key string) string {
	return filepath.Join(s.dir, filepath.FromSlash(key))
}

// Create starts writing the blob named key; it becomes visible when the
// writer is committed. Blob files are mode 0600, the directories Create makes
// 0700. An invalid key is an EINVALID error.
func (s *Store) Create(ctx context.Context, key string) (userport.BlobWriter, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	path := s.path(key)
	f, err := createTemp(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("create blob %q: %w", key, err)
	}
	return &writer{f: f, path: path, root: s.dir}, nil
}

// createTemp creates a temporary file in dir, creating dir if needed, and
// again if a concurrent Delete removed it in between.
func createTemp(dir string) (*os.File, error) {
	for try := 0; ; try++ {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		f, err := os.CreateTemp(dir, ".tmp-*")
		if err == nil || !errors.Is(err, fs.ErrNotExist) || try == 2 {
			return f, err
		}
	}
}

// Open opens the committed blob named key. A missing blob is an error wrapping
// fs.ErrNotExist.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	f, _, err := s.open(ctx, key)
	return f, err
}

// open opens the regular file of key and returns its information.
func (s *Store) open(ctx context.Context, key string) (*os.File, fs.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if err := checkKey(key); err != nil {
		return nil, nil, err
	}
	f, err := os.Open(s.path(key))
	if err != nil {
		return nil, nil, fmt.Errorf("open blob %q: %w", key, err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fs.ErrNotExist
	}
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("open blob %q: %w", key, err)
	}
	return f, fi, nil
}

// Size returns the size in bytes of the committed blob named key; a missing
// blob is an error wrapping fs.ErrNotExist.
func (s *Store) Size(ctx context.Context, key string) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := checkKey(key); err != nil {
		return 0, err
	}
	fi, err := os.Stat(s.path(key))
	if err == nil && !fi.Mode().IsRegular() {
		err = fs.ErrNotExist
	}
	if err != nil {
		return 0, fmt.Errorf("stat blob %q: %w", key, err)
	}
	return fi.Size(), nil
}

// Delete removes the blob named key and the directories that this leaves
// empty. Deleting a missing blob is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkKey(key); err != nil {
		return err
	}
	path := s.path(key)
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) || err == nil && fi.IsDir() {
		return nil // missing, or a directory, which is no blob
	} else if err != nil {
		return fmt.Errorf("delete blob %q: %w", key, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete blob %q: %w", key, err)
	}
	removeEmptyDirs(s.dir, filepath.Dir(path))
	return nil
}

// DeleteDir removes the directory of dir's blobs, temporary files of
// unfinished writers included, and the parents that this leaves empty.
func (s *Store) DeleteDir(ctx context.Context, dir string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkKey(dir); err != nil {
		return err
	}
	path := s.path(dir)
	if err := os.RemoveAll(path); err != nil {
		return fmt.Errorf("delete blob directory %q: %w", dir, err)
	}
	removeEmptyDirs(s.dir, filepath.Dir(path))
	return nil
}

// removeEmptyDirs removes dir and its parents below root, as long as they are
// empty. Failing is fine: the directory is not empty.
func removeEmptyDirs(root, dir string) {
	for dir != root && strings.HasPrefix(dir, root+string(filepath.Separator)) {
		if os.Remove(dir) != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}
