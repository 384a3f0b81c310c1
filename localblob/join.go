package localblob

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/userport/userport"
)

// Join writes the committed blobs parts end to end into a temporary file
// next to key's, which is synced and renamed into place as Commit does. The
// bytes go from file to file in the kernel (io.Copy between two *os.File uses
// copy_file_range on Linux, which a filesystem with reflinks shares instead
// of copying); they never pass through the caller.
func (s *Store) Join(ctx context.Context, key string, parts []string) (int64, error) {
	if len(parts) == 0 {
		return 0, userport.Errorf(userport.EINVALID, "", "join blob %q: no parts", key)
	}
	bw, err := s.Create(ctx, key)
	if err != nil {
		return 0, err
	}
	w := bw.(*writer)
	var size int64
	for _, p := range parts {
		n, err := s.copyInto(ctx, w, p)
		size += n
		if err != nil {
			return 0, errors.Join(fmt.Errorf("join blob %q: %w", key, err), w.Abort())
		}
	}
	if err := w.Commit(); err != nil {
		return 0, fmt.Errorf("join blob %q: %w", key, err)
	}
	return size, nil
}

// copyInto appends the committed blob part to w's temporary file.
func (s *Store) copyInto(ctx context.Context, w *writer, part string) (int64, error) {
	f, _, err := s.open(ctx, part)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := io.Copy(w.f, f)
	w.written += n
	if err != nil {
		return n, fmt.Errorf("copy %q: %w", part, err)
	}
	return n, nil
}
