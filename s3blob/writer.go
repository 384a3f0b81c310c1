package s3blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// errDone is returned when a writer is used after Commit or Abort.
var errDone = errors.New("s3blob: blob writer already committed or aborted")

// abortTimeout bounds the request that aborts an upload, which runs even when
// the writer's context was cancelled.
const abortTimeout = time.Minute

// writer streams one blob into a multipart upload, started when its first
// part is full. It holds at most two part buffers: one filling, and one
// uploading from its own goroutine meanwhile.
type writer struct {
	s        *Store
	ctx      context.Context
	key, obj string
	buf      *[]byte // the part being filled; nil before the first Write
	spare    *[]byte // a free buffer, if any
	uploadID *string // the multipart upload, once started
	parts    []types.CompletedPart
	sending  *part // the part being uploaded, if any
	err      error // the first failure: the blob can only be aborted
	done     bool  // committed or aborted
}

// part is one UploadPart under way.
type part struct {
	buf  *[]byte
	done chan struct{}
	out  types.CompletedPart
	err  error
}

// Write copies p into the part buffer, and starts uploading each part as it
// fills. It waits only while the previous part is still uploading.
func (w *writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errDone
	}
	n := 0
	for len(p) > 0 && w.err == nil {
		if w.buf == nil {
			w.buf = w.s.buffers.Get().(*[]byte)
		}
		size := w.s.partSizeOf(w.partNumber())
		if cap(*w.buf) < size {
			b := make([]byte, 0, size) // a grown part: never pooled
			w.buf = &b
		}
		b := *w.buf
		k := min(len(p), size-len(b))
		*w.buf = append(b, p[:k]...)
		p, n = p[k:], n+k
		if len(*w.buf) == size {
			w.err = w.send()
		}
	}
	return n, w.err
}

// send starts uploading the full buffer as the next part, starting the
// multipart upload first if needed, once the previous part is uploaded.
func (w *writer) send() error {
	if w.uploadID == nil {
		out, err := w.s.client.CreateMultipartUpload(w.ctx, &s3.CreateMultipartUploadInput{
			Bucket: &w.s.bucket, Key: &w.obj, ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
		if err != nil {
			return fmt.Errorf("write blob %q: start upload: %w", w.key, err)
		}
		w.uploadID = out.UploadId
	}
	if err := w.wait(); err != nil {
		return err
	}
	p := &part{buf: w.buf, done: make(chan struct{})}
	num := int32(w.partNumber())
	if int(num) > w.s.maxParts {
		return fmt.Errorf("write blob %q: more than %d parts: the blob is too large", w.key, w.s.maxParts)
	}
	go func() {
		defer close(p.done)
		out, err := w.s.client.UploadPart(w.ctx, &s3.UploadPartInput{
			Bucket: &w.s.bucket, Key: &w.obj, UploadId: w.uploadID, PartNumber: &num,
			Body: bytes.NewReader(*p.buf), ContentLength: aws.Int64(int64(len(*p.buf))),
			ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
		})
		if err != nil {
			p.err = fmt.Errorf("write blob %q: upload part %d: %w", w.key, num, err)
			return
		}
		p.out = types.CompletedPart{PartNumber: &num, ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32}
	}()
	w.sending, w.buf, w.spare = p, w.spare, nil
	return nil
}

// partNumber is the number of the part being filled, from 1.
func (w *writer) partNumber() int {
	n := len(w.parts) + 1
	if w.sending != nil {
		n++
	}
	return n
}

// wait waits for the part being uploaded, if any, and keeps its buffer as the
// next one to fill.
func (w *writer) wait() error {
	p := w.sending
	if p == nil {
		return nil
	}
	<-p.done
	w.sending = nil
	*p.buf = (*p.buf)[:0]
	if w.buf == nil {
		w.buf = p.buf
	} else {
		w.spare = p.buf
	}
	if p.err != nil {
		return p.err
	}
	w.parts = append(w.parts, p.out)
	return nil
}

// Commit uploads what is left and completes the upload, which makes the
// object appear whole; a blob that never filled a part is put in one
// request. On failure the upload is aborted and no object appears.
func (w *writer) Commit() error {
	if w.done {
		return errDone
	}
	w.done = true
	defer w.release()
	if w.err != nil {
		return errors.Join(w.err, w.abort())
	}
	var data []byte
	if w.buf != nil {
		data = *w.buf
	}
	if w.uploadID == nil {
		_, err := w.s.client.PutObject(w.ctx, &s3.PutObjectInput{Bucket: &w.s.bucket, Key: &w.obj,
			Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data)))})
		if err != nil {
			return fmt.Errorf("commit blob %q: %w", w.key, err)
		}
		return nil
	}
	err := w.wait()
	if err == nil && len(data) > 0 {
		if err = w.send(); err == nil {
			err = w.wait()
		}
	}
	if err == nil {
		_, err = w.s.client.CompleteMultipartUpload(w.ctx, &s3.CompleteMultipartUploadInput{
			Bucket: &w.s.bucket, Key: &w.obj, UploadId: w.uploadID,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: w.parts}})
		if err != nil {
			err = fmt.Errorf("commit blob %q: %w", w.key, err)
		}
	}
	if err != nil {
		return errors.Join(err, w.abort())
	}
	return nil
}

// Abort discards the blob: it aborts the upload, which deletes the parts
// uploaded so far. After Commit it does nothing, so that callers can defer it.
func (w *writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	defer w.release()
	return w.abort()
}

// abort waits for the part being uploaded and aborts the upload, if started,
// even if the writer's context was cancelled.
func (w *writer) abort() error {
	_ = w.wait()
	if w.uploadID == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), abortTimeout)
	defer cancel()
	_, err := w.s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &w.s.bucket, Key: &w.obj, UploadId: w.uploadID})
	if err != nil && !isCode(err, "NoSuchUpload") {
		return fmt.Errorf("abort blob %q: %w", w.key, err)
	}
	return nil
}

// release gives the writer's buffers back to the store, once no part is
// uploading from them.
func (w *writer) release() {
	_ = w.wait()
	for _, b := range []*[]byte{w.buf, w.spare} {
		if b != nil && cap(*b) == w.s.partSize {
			*b = (*b)[:0]
			w.s.buffers.Put(b)
		}
	}
	w.buf, w.spare = nil, nil
}
