// Package s3blob is the userport.BlobStore on S3-compatible object storage.
//
// Blobs are objects under one prefix of one bucket (s3://bucket/prefix), named
// {prefix}/{key}. A blob is streamed into a multipart upload, part by part, and
// appears when the upload is completed (Commit): S3 shows an object whole or
// not at all. A blob smaller than one part is sent with one PutObject instead.
//
// Download links are presigned GETs of the object (SigV4 query signing) that
// name the file as localblob's do; the bytes never pass through userport.
package s3blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/attachment"
)

// Part sizes. Every part but the last must hold at least MinPartSize bytes.
// A writer holds two part buffers: at S3's minimum, 10 MiB per export, which
// keeps two exports (or two parts of a split one) in one worker within its
// memory limit. S3 takes at most 10,000 parts, so a writer's parts grow by
// the first part's size every partGrowth parts (partSize): 5 MiB parts make
// the first 4.9 GiB of a blob (some 27 million users in NDJSON), and blobs of
// up to 268 GiB in all, the last parts 50 MiB.
const (
	DefaultPartSize = MinPartSize
	MinPartSize     = 5 << 20
	maxPartSize     = 5 << 30
	maxParts        = 10_000
	partGrowth      = 1000
)

// maxTTL is the longest lifetime SigV4 gives a presigned URL.
const maxTTL = 7 * 24 * time.Hour

// Options are the settings of a Store besides its URL. Credentials and the
// region come from the AWS SDK's default configuration: AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_REGION, the shared config files, and so on.
type Options struct {
	// Endpoint is the URL of an S3-compatible service
	// (USERPORT_S3_ENDPOINT), whose objects are then addressed path-style
	// ({Endpoint}/{bucket}/{key}). Empty means AWS S3 in the region.
	Endpoint string
	// PublicEndpoint is the URL written into download links, for clients
	// that reach the service by another address than Endpoint
	// (USERPORT_S3_PUBLIC_ENDPOINT). The links are signed for its host, so
	// a proxy there must pass the Host header on unchanged. Empty means
	// Endpoint.
	PublicEndpoint string
	// PartSize is the size of the first parts a blob is uploaded in (they
	// grow after the first thousand, see partSizeOf); a writer holds two
	// buffers of it (one filling while the other uploads). 0 means
	// DefaultPartSize; otherwise at least MinPartSize.
	PartSize int
}

// Store keeps blobs as S3 objects. It is safe for concurrent use.
type Store struct {
	client   *s3.Client
	presign  *s3.PresignClient
	bucket   string
	prefix   string      // "" or ends with "/"
	partSize int         // the size of a writer's first parts (partSize)
	growth   int         // parts between two sizes (partGrowth; tests change it)
	maxParts int         // most parts of a blob (maxParts; tests change it)
	buffers  sync.Pool   // of *[]byte with capacity partSize
	joinRead func(int64) // tests: told of the bytes Join reads back
}

var _ userport.BlobStore = (*Store)(nil)

// Open returns the store of the objects under s3://bucket/prefix, after
// checking that the bucket exists and that the credentials may use it.
func Open(ctx context.Context, rawURL string, opts Options) (*Store, error) {
	bucket, prefix, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	partSize := opts.PartSize
	if partSize == 0 {
		partSize = DefaultPartSize
	}
	if partSize < MinPartSize || partSize > maxPartSize {
		return nil, fmt.Errorf("s3blob: part size %d, want %d to %d bytes", partSize, MinPartSize, maxPartSize)
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("s3blob: load the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, errors.New("s3blob: no AWS region: set AWS_REGION (for an S3-compatible service, the region it expects, often us-east-1)")
	}
	client, err := newClient(cfg, opts.Endpoint)
	if err != nil {
		return nil, err
	}
	public := client
	if opts.PublicEndpoint != "" {
		if public, err = newClient(cfg, opts.PublicEndpoint); err != nil {
			return nil, err
		}
	}
	s := &Store{client: client, presign: s3.NewPresignClient(public), bucket: bucket, prefix: prefix, partSize: partSize, growth: partGrowth, maxParts: maxParts}
	s.buffers.New = func() any {
		b := make([]byte, 0, partSize)
		return &b
	}
	if err := s.check(ctx, cfg, opts.Endpoint); err != nil {
		return nil, err
	}
	return s, nil
}

// parseURL splits s3://bucket/prefix; the prefix, if any, gets one trailing
// slash.
func parseURL(s string) (bucket, prefix string, err error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "s3" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", "", fmt.Errorf("s3blob: invalid blob URL %q: want s3://bucket[/prefix]", s)
	}
	prefix = strings.Trim(u.Path, "/")
	if prefix != "" {
		if !fs.ValidPath(prefix) {
			return "", "", fmt.Errorf("s3blob: invalid prefix %q in blob URL %q", prefix, s)
		}
		prefix += "/"
	}
	return u.Host, prefix, nil
}

// CheckEndpoint checks the form of an S3-compatible service's URL:
// http(s)://host[:port][/path].
func CheckEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("invalid endpoint %q: want http(s)://host[:port]", endpoint)
	}
	return nil
}

// newClient returns a client of the S3 service at endpoint, path-style, or of
// AWS S3 if endpoint is empty.
func newClient(cfg aws.Config, endpoint string) (*s3.Client, error) {
	if endpoint != "" {
		if err := CheckEndpoint(endpoint); err != nil {
			return nil, fmt.Errorf("s3blob: %w", err)
		}
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		// A multipart object has a checksum of checksums, which the SDK
		// cannot check on download; without this it logs a warning to
		// stderr on each Open of one. Parts are checked on upload.
		o.DisableLogOutputChecksumValidationSkipped = true
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.UsePathStyle = true
		}
	}), nil
}

// check asks for the bucket, and says what to fix when that fails.
func (s *Store) check(ctx context.Context, cfg aws.Config, endpoint string) error {
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return fmt.Errorf("s3blob: no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: %w", err)
	}
	_, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.bucket})
	if err == nil {
		return nil
	}
	where := "AWS S3 in region " + cfg.Region
	if endpoint != "" {
		where = endpoint
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		switch re.HTTPStatusCode() {
		case 404:
			return fmt.Errorf("s3blob: bucket %q does not exist at %s", s.bucket, where)
		case 401, 403:
			return fmt.Errorf("s3blob: access to bucket %q at %s denied: check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY and the key's permissions: %w", s.bucket, where, err)
		case 301:
			return fmt.Errorf("s3blob: bucket %q is not in region %s: set AWS_REGION to its region", s.bucket, cfg.Region)
		}
	}
	return fmt.Errorf("s3blob: check bucket %q at %s: %w", s.bucket, where, err)
}

// object returns the object key of a blob key: relative slash paths whose
// segments are not empty, "." or "..", without control characters. Other keys
// are EINVALID errors.
func (s *Store) object(key string) (string, error) {
	ok := fs.ValidPath(key) && key != "." && len(s.prefix)+len(key) <= 1024 &&
		!strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 || r == 0x7f })
	if !ok {
		return "", userport.Errorf(userport.EINVALID, "", "invalid blob key %q", key)
	}
	return s.prefix + key, nil
}

// Create starts writing the blob named key; it becomes visible when the writer
// is committed. An invalid key is an EINVALID error. The writer uploads with
// ctx.
func (s *Store) Create(ctx context.Context, key string) (userport.BlobWriter, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	obj, err := s.object(key)
	if err != nil {
		return nil, err
	}
	return &writer{s: s, ctx: ctx, key: key, obj: obj}, nil
}

// Open opens the committed blob named key. A missing blob is an error wrapping
// fs.ErrNotExist.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	obj, err := s.object(key)
	if err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &obj})
	if isCode(err, "NoSuchKey", "NotFound") {
		return nil, fmt.Errorf("open blob %q: %w (%w)", key, fs.ErrNotExist, err)
	} else if err != nil {
		return nil, fmt.Errorf("open blob %q: %w", key, err)
	}
	return out.Body, nil
}

// isCode reports whether err is an S3 error with one of codes.
func isCode(err error, codes ...string) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	for _, c := range codes {
		if ae.ErrorCode() == c {
			return true
		}
	}
	return false
}

// Delete removes the blob named key. Deleting a missing blob is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	obj, err := s.object(key)
	if err != nil {
		return err
	}
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &obj}); err != nil {
		return fmt.Errorf("delete blob %q: %w", key, err)
	}
	return nil
}

// DeleteDir aborts the unfinished uploads of dir's blobs, then deletes the
// blobs, a thousand a request.
func (s *Store) DeleteDir(ctx context.Context, dir string) error {
	obj, err := s.object(dir)
	if err != nil {
		return err
	}
	prefix := obj + "/"
	uploads := s3.NewListMultipartUploadsPaginator(s.client, &s3.ListMultipartUploadsInput{Bucket: &s.bucket, Prefix: &prefix})
	for uploads.HasMorePages() {
		page, err := uploads.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("delete blob directory %q: list uploads: %w", dir, err)
		}
		for _, u := range page.Uploads {
			_, err := s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &s.bucket, Key: u.Key, UploadId: u.UploadId})
			if err != nil && !isCode(err, "NoSuchUpload") {
				return fmt.Errorf("delete blob directory %q: %w", dir, err)
			}
		}
	}
	objects := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &prefix})
	for objects.HasMorePages() {
		page, err := objects.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("delete blob directory %q: list: %w", dir, err)
		}
		if len(page.Contents) == 0 {
			continue
		}
		ids := make([]types.ObjectIdentifier, len(page.Contents))
		for i, o := range page.Contents {
			ids[i] = types.ObjectIdentifier{Key: o.Key}
		}
		out, err := s.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &s.bucket,
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)}})
		if err == nil && len(out.Errors) > 0 {
			e := out.Errors[0]
			err = fmt.Errorf("%d objects not deleted, %s: %s", len(out.Errors), aws.ToString(e.Key), aws.ToString(e.Message))
		}
		if err != nil {
			return fmt.Errorf("delete blob directory %q: %w", dir, err)
		}
	}
	return nil
}

// SignedURL returns a presigned GET of the blob's object, valid for ttl
// rounded up to a whole second (at most 7 days, SigV4's limit), whose
// response saves the file under the key's last segment. S3 answers HEAD and
// Range itself (one range: several get the whole object, 200) with its own
// ETag, not the sha256, which the link does not carry. An invalid key or
// ttl is an EINVALID error.
func (s *Store) SignedURL(ctx context.Context, key string, ttl time.Duration, _ string) (string, error) {
	obj, err := s.object(key)
	if err != nil {
		return "", err
	}
	if ttl <= 0 || ttl > maxTTL {
		return "", userport.Errorf(userport.EINVALID, "", "signed URL lifetime %v, want more than 0 and at most %v", ttl, maxTTL)
	}
	secs := time.Duration(math.Ceil(ttl.Seconds())) * time.Second
	req, err := s.presign.PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket:                     &s.bucket,
		Key:                        &obj,
		ResponseContentDisposition: aws.String(attachment.Header(path.Base(key))),
		ResponseContentType:        aws.String(attachment.ContentType(path.Base(key))),
		ResponseCacheControl:       aws.String(attachment.CacheControl),
	}, s3.WithPresignExpires(secs))
	if err != nil {
		return "", fmt.Errorf("sign URL of blob %q: %w", key, err)
	}
	return req.URL, nil
}

// partSize is the size of a writer's part number n (from 1): the store's part
// size times 1 + (n-1)/growth, at most S3's largest part.
func (s *Store) partSizeOf(n int) int {
	return min(s.partSize*(1+(n-1)/s.growth), maxPartSize)
}
