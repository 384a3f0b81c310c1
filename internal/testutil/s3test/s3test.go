// Package s3test gives tests a bucket of their own on the S3-compatible
// service USERPORT_TEST_S3_ENDPOINT names (a package of its own, so that tests
// that need no S3 do not build its SDK).
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// S3EndpointEnv names the S3-compatible service the tests use, with the
// standard AWS_* variables for its credentials and region.
const S3EndpointEnv = "USERPORT_TEST_S3_ENDPOINT"

// S3Endpoint returns the S3-compatible service to test against, or skips t.
func S3Endpoint(t testing.TB) string {
	t.Helper()
	e := os.Getenv(S3EndpointEnv)
	if e == "" {
		t.Skip("no S3 service to test against: set " + S3EndpointEnv + " to its URL (e.g. http://127.0.0.1:7070, a versitygw as .ci/run starts), " +
			"and AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION for it")
	}
	return e
}

// S3Client is a path-style client of the S3-compatible service at
// endpoint, with the AWS_* credentials and region of the environment.
func S3Client(t testing.TB, endpoint string) *s3.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	})
}

// NewBucket creates a bucket of its own for t, emptied and deleted when t
// ends.
func NewBucket(t testing.TB, c *s3.Client) string {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 6)
	rand.Read(b)
	name := "userport-test-" + hex.EncodeToString(b)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	t.Cleanup(func() {
		objs, uploads := ListBucket(t, c, name)
		for _, o := range objs {
			if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &name, Key: o.Key}); err != nil {
				t.Error(err)
			}
		}
		for _, u := range uploads {
			if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &name, Key: u.Key, UploadId: u.UploadId}); err != nil {
				t.Error(err)
			}
		}
		if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &name}); err != nil {
			t.Errorf("delete bucket %s: %v", name, err)
		}
	})
	return name
}

// ListBucket returns every object and unfinished upload in bucket.
func ListBucket(t testing.TB, c *s3.Client, bucket string) ([]types.Object, []types.MultipartUpload) {
	t.Helper()
	ctx := context.Background()
	var objs []types.Object
	for p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &bucket}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, page.Contents...)
	}
	var uploads []types.MultipartUpload
	for p := s3.NewListMultipartUploadsPaginator(c, &s3.ListMultipartUploadsInput{Bucket: &bucket}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		uploads = append(uploads, page.Uploads...)
	}
	return objs, uploads
}
