package bench

import (
	"bufio"
	"compress/gzip"
	"context"
	"io"
	"os"
	"time"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/userport/userport"
	"github.com/userport/userport/export"
)

// Scan times reading every stored document of tenant in the export's order
// and page size, with no processing: the first half of the limit. users is
// the number of documents read.
func Scan(ctx context.Context, store Store, tenant string) (users int64, secs float64, err error) {
	start := time.Now()
	s := userport.UserScan{Tenant: tenant, Limit: export.DefaultPageSize}
	var p userport.UserPage
	for {
		if err := store.ReadUsers(ctx, s, &p); err != nil {
			return 0, 0, err
		}
		users += int64(p.Len())
		if p.Len() < s.Limit {
			return users, time.Since(start).Seconds(), nil
		}
		s.After = p.Last
	}
}

// Compress decompresses the export at key into a temporary file in dir,
// then times gzipping it at the pipeline's level: the second half of the
// limit. raw is the export's decompressed size.
func Compress(ctx context.Context, blobs userport.BlobStore, key, dir string) (raw int64, secs float64, err error) {
	f, err := blobs.Open(ctx, key)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return 0, 0, err
	}
	tmp, err := os.CreateTemp(dir, "bench-raw-")
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if raw, err = io.Copy(tmp, zr); err != nil {
		return 0, 0, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return 0, 0, err
	}
	start := time.Now()
	zw, _ := kgzip.NewWriterLevel(io.Discard, export.DefaultGzipLevel)
	if _, err := io.Copy(zw, bufio.NewReaderSize(tmp, 1<<20)); err != nil {
		return 0, 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, 0, err
	}
	return raw, time.Since(start).Seconds(), nil
}
