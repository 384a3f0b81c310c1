package userport

import (
	"context"
	"io"
	"strconv"
	"time"
)

// BlobStore keeps export files (and uploaded import files).
//
// A blob is written through a BlobWriter and becomes visible only when it is
// committed, atomically: a reader never sees a partial file. Missing blobs are
// reported as errors wrapping os.ErrNotExist (fs.ErrNotExist).
type BlobStore interface {
	// Create starts writing the blob named key.
	Create(ctx context.Context, key string) (BlobWriter, error)
	// Open opens a committed blob for reading.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes a blob; deleting a missing blob is not an error.
	Delete(ctx context.Context, key string) error
	// DeleteDir removes every blob whose key starts with dir + "/", and what
	// writers that never finished (their process was killed) left there.
	// Deleting a missing directory is not an error.
	DeleteDir(ctx context.Context, dir string) error
	// SignedURL returns a download URL for the blob that is valid for ttl.
	SignedURL(ctx context.Context, key string, ttl time.Duration) (string, error)
	// Join writes the committed blobs parts, end to end in that order, as
	// the blob key, and returns its size. The parts' bytes are not read
	// back through the caller (S3 copies them server-side, a local disk
	// copies file to file); the joined blob appears whole or not at all, and
	// the parts are left as they were. No parts is an EINVALID error.
	Join(ctx context.Context, key string, parts []string) (int64, error)
}

// BlobWriter writes one blob. Exactly one of Commit or Abort must be called.
type BlobWriter interface {
	io.Writer
	// Commit makes the written bytes durable and visible under the key.
	Commit() error
	// Abort discards what was written.
	Abort() error
}

// ImportUploadKey is the blob key of an import job's uploaded file. A job
// without one (an import from the command line reads the caller's file)
// has no upload to delete.
func ImportUploadKey(jobID string) string { return "imports/" + jobID + "/users" }

// ExportFileName is the name of an export's file: "{tenant}.{format}.gz".
func ExportFileName(tenant string, format Format) string {
	return tenant + "." + string(format) + ".gz"
}

// ExportFileKey is the blob key of an export's file as runner writes (or
// joins) it. Each runner writes its own key: a runner that was taken over
// deletes its file, never the one of the runner that completes the job. Every
// blob of an export is under the directory named by the job's id, which the
// cleanup deletes.
func ExportFileKey(jobID, runner, fileName string) string {
	return jobID + "/" + runner + "/" + fileName
}

// ExportPartKey is the blob key of part index of a split export as runner
// writes it, under the job's directory.
func ExportPartKey(jobID string, index int, runner string) string {
	return jobID + "/parts/" + strconv.Itoa(index) + "/" + runner + ".gz"
}
