package testutil

import (
	"context"

	"github.com/userport/userport"
)

// FaultyBlobs is a blob store (the real one, embedded) whose writers' Write
// or Commit fail when the function set for them returns an error: a full
// disk, a stalled upload, made to happen on demand.
type FaultyBlobs struct {
	userport.BlobStore
	// Write runs before each Write of a writer made with ctx; an error
	// fails that Write. nil: the real Write.
	Write func(ctx context.Context, p []byte) error
	// Commit runs before each Commit; an error aborts the writer and is
	// returned. nil: the real Commit.
	Commit func() error
}

// Create creates the real writer, wrapped.
func (f *FaultyBlobs) Create(ctx context.Context, key string) (userport.BlobWriter, error) {
	w, err := f.BlobStore.Create(ctx, key)
	if err != nil {
		return nil, err
	}
	return &faultyWriter{BlobWriter: w, blobs: f, ctx: ctx}, nil
}

// faultyWriter fails where its FaultyBlobs says.
type faultyWriter struct {
	userport.BlobWriter
	blobs *FaultyBlobs
	ctx   context.Context
}

// Write writes p unless the Write function fails.
func (w *faultyWriter) Write(p []byte) (int, error) {
	if w.blobs.Write != nil {
		if err := w.blobs.Write(w.ctx, p); err != nil {
			return 0, err
		}
	}
	return w.BlobWriter.Write(p)
}

// Commit commits unless the Commit function fails; then it aborts.
func (w *faultyWriter) Commit() error {
	if w.blobs.Commit != nil {
		if err := w.blobs.Commit(); err != nil {
			_ = w.BlobWriter.Abort()
			return err
		}
	}
	return w.BlobWriter.Commit()
}
