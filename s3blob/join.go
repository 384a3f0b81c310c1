package s3blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/userport/userport"
)

// copyChunk is the most UploadPartCopy copies of one part in one request
// (S3 allows 5 GiB; a remainder under MinPartSize joins the last chunk).
const copyChunk = 4 << 30

// Join makes the committed blobs parts, end to end, the object of key: one
// multipart upload whose parts S3 copies from the parts' objects
// (UploadPartCopy), so the bytes stay in S3. Every part of an upload but the
// last must hold at least MinPartSize bytes: a blob smaller than that (or
// the end of one) is read and sent together with the first bytes of the
// blobs after it, so at most MinPartSize bytes of each small blob pass
// through userport. Splitting exports into parts of well over MinPartSize
// (see the export split settings) keeps the join a pure server-side copy.
// The object appears when the upload completes; on failure the upload is
// aborted and nothing appears.
func (s *Store) Join(ctx context.Context, key string, parts []string) (int64, error) {
	if len(parts) == 0 {
		return 0, userport.Errorf(userport.EINVALID, "", "join blob %q: no parts", key)
	}
	obj, err := s.object(key)
	if err != nil {
		return 0, err
	}
	srcs := make([]source, len(parts))
	var total int64
	for i, p := range parts {
		if srcs[i], err = s.source(ctx, p); err != nil {
			return 0, fmt.Errorf("join blob %q: %w", key, err)
		}
		total += srcs[i].size
	}
	// No checksum algorithm: a copied part carries its source's checksum
	// only when that was a whole object's, and S3 checks copies itself.
	out, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &s.bucket, Key: &obj})
	if err != nil {
		return 0, fmt.Errorf("join blob %q: start upload: %w", key, err)
	}
	j := &join{s: s, ctx: ctx, key: key, obj: obj, uploadID: out.UploadId, onRead: s.joinRead}
	if err := j.run(srcs); err != nil {
		return 0, errors.Join(fmt.Errorf("join blob %q: %w", key, err), j.abort())
	}
	return total, nil
}

// source is one blob to join: its key, object and size.
type source struct {
	key, obj string
	size     int64
}

// source looks up a committed blob's size; a missing one is an error
// wrapping fs.ErrNotExist.
func (s *Store) source(ctx context.Context, key string) (source, error) {
	obj, err := s.object(key)
	if err != nil {
		return source{}, err
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &obj})
	if isCode(err, "NoSuchKey", "NotFound") {
		return source{}, fmt.Errorf("blob %q: %w (%w)", key, fs.ErrNotExist, err)
	} else if err != nil {
		return source{}, fmt.Errorf("blob %q: %w", key, err)
	}
	return source{key: key, obj: obj, size: aws.ToInt64(out.ContentLength)}, nil
}

// join is one Join's multipart upload.
type join struct {
	s        *Store
	ctx      context.Context
	key, obj string
	uploadID *string
	parts    []types.CompletedPart
	buf      []byte        // bytes read from small blobs, not sent yet: fewer than MinPartSize
	onRead   func(n int64) // told of the bytes read back from S3, if set (tests)
}

// run sends every source, in order, as parts of the upload and completes it.
func (j *join) run(srcs []source) error {
	for i, src := range srcs {
		last := i == len(srcs)-1
		var off int64
		if len(j.buf) > 0 { // fill the pending part with this blob's first bytes
			off = min(int64(MinPartSize-len(j.buf)), src.size)
			if err := j.read(src, 0, off); err != nil {
				return err
			}
			if len(j.buf) >= MinPartSize {
				if err := j.flush(); err != nil {
					return err
				}
			}
		}
		rest := src.size - off
		switch {
		case rest == 0:
		case rest >= MinPartSize || last:
			if err := j.copy(src, off); err != nil {
				return err
			}
		default: // too small to be a part of its own
			if err := j.read(src, off, src.size); err != nil {
				return err
			}
		}
	}
	if len(j.buf) > 0 || len(j.parts) == 0 {
		if err := j.flush(); err != nil {
			return err
		}
	}
	_, err := j.s.client.CompleteMultipartUpload(j.ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &j.s.bucket, Key: &j.obj, UploadId: j.uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: j.parts}})
	if err != nil {
		return fmt.Errorf("complete upload: %w", err)
	}
	return nil
}

// read appends bytes [from, to) of src to the pending part.
func (j *join) read(src source, from, to int64) error {
	if from >= to {
		return nil
	}
	out, err := j.s.client.GetObject(j.ctx, &s3.GetObjectInput{Bucket: &j.s.bucket, Key: &src.obj,
		Range: aws.String(fmt.Sprintf("bytes=%d-%d", from, to-1))})
	if err != nil {
		return fmt.Errorf("read %q: %w", src.key, err)
	}
	defer out.Body.Close()
	n := len(j.buf)
	j.buf = append(j.buf, make([]byte, to-from)...)
	if _, err := io.ReadFull(out.Body, j.buf[n:]); err != nil {
		return fmt.Errorf("read %q: %w", src.key, err)
	}
	if j.onRead != nil {
		j.onRead(to - from)
	}
	return nil
}

// flush sends the pending bytes as the next part.
func (j *join) flush() error {
	num := int32(len(j.parts) + 1)
	out, err := j.s.client.UploadPart(j.ctx, &s3.UploadPartInput{
		Bucket: &j.s.bucket, Key: &j.obj, UploadId: j.uploadID, PartNumber: &num,
		Body: bytes.NewReader(j.buf), ContentLength: aws.Int64(int64(len(j.buf))),
	})
	if err != nil {
		return fmt.Errorf("upload part %d: %w", num, err)
	}
	j.parts = append(j.parts, types.CompletedPart{PartNumber: &num, ETag: out.ETag})
	j.buf = j.buf[:0]
	return nil
}

// copy makes bytes [off, size) of src the next parts, copied by S3, in
// chunks of copyChunk bytes or a little more.
func (j *join) copy(src source, off int64) error {
	for off < src.size {
		end := min(off+copyChunk, src.size)
		if src.size-end < MinPartSize {
			end = src.size
		}
		num := int32(len(j.parts) + 1)
		out, err := j.s.client.UploadPartCopy(j.ctx, &s3.UploadPartCopyInput{
			Bucket: &j.s.bucket, Key: &j.obj, UploadId: j.uploadID, PartNumber: &num,
			CopySource:      aws.String(copySource(j.s.bucket, src.obj)),
			CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", off, end-1)),
		})
		if err != nil {
			return fmt.Errorf("copy %q as part %d: %w", src.key, num, err)
		}
		p := types.CompletedPart{PartNumber: &num}
		if r := out.CopyPartResult; r != nil {
			p.ETag = r.ETag
		}
		j.parts = append(j.parts, p)
		off = end
	}
	return nil
}

// copySource is UploadPartCopy's x-amz-copy-source: the bucket and the
// object key, URL-encoded segment by segment.
func copySource(bucket, obj string) string {
	segs := strings.Split(obj, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return bucket + "/" + strings.Join(segs, "/")
}

// abort aborts the upload, even if ctx was cancelled.
func (j *join) abort() error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(j.ctx), abortTimeout)
	defer cancel()
	_, err := j.s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &j.s.bucket, Key: &j.obj, UploadId: j.uploadID})
	if err != nil && !isCode(err, "NoSuchUpload") {
		return fmt.Errorf("abort upload: %w", err)
	}
	return nil
}
