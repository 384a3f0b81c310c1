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
	// The link answers HEAD, Range and If-Range requests. sha256 is the
	// blob's hex sha256 (an export's manifest), or "": a store that serves
	// its links itself sends it as the strong ETag; S3 sends its own ETag,
	// which is not the sha256 (a client compares the file's sha256 with the
	// manifest's once downloaded).
	SignedURL(ctx context.Context, key string, ttl time.Duration, sha256 string) (string, error)
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

// JobDir is the blob directory of the job jobID of type t: every blob the
// job writes is under it ("{job}/..." for an export: its file as each runner
// writes it, its split parts; "imports/{job}/..." for an import's upload),
// so that deleting it deletes them all. The keys below are built with it,
// and the cleanup deletes it.
func JobDir(t JobType, jobID string) string {
	if t == JobUsersImport {
		return "imports/" + jobID
	}
	return jobID
}

// ImportUploadKey is the blob key of an import job's uploaded file. A job
// without one (an import from the command line reads the caller's file)
// has no upload to delete.
func ImportUploadKey(jobID string) string { return JobDir(JobUsersImport, jobID) + "/users" }

// ExportFileName is the name of an export's file: "{tenant}.{format}.gz",
// or "{tenant}.parquet" for Parquet, which is not gzip'd.
func ExportFileName(tenant string, format Format) string {
	if !format.Gzipped() {
		return tenant + "." + string(format)
	}
	return tenant + "." + string(format) + ".gz"
}

// ExportFileKey is the blob key of an export's file as runner writes (or
// joins) it. Each runner writes its own key: a runner that was taken over
// deletes its file, never the one of the runner that completes the job. Every
// blob of an export is under its JobDir, which the cleanup deletes.
func ExportFileKey(jobID, runner, fileName string) string {
	return JobDir(JobUsersExport, jobID) + "/" + runner + "/" + fileName
}

// ExportPartKey is the blob key of part index of a split export as runner
// writes it, under the job's directory.
func ExportPartKey(jobID string, index int, runner string) string {
	return JobDir(JobUsersExport, jobID) + "/parts/" + strconv.Itoa(index) + "/" + runner + ".gz"
}
