package s3blob

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/userport/userport/blobtest"
	"github.com/userport/userport/internal/testutil/s3test"
)

// testClient is a client of the test service, configured as Open's.
func testClient(t testing.TB, endpoint string) *s3.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c, err := newClient(cfg, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const testPrefix = "exports/"

// openTest opens a store on a new bucket, under testPrefix.
func openTest(t testing.TB, opts Options) (*Store, *s3.Client, string) {
	t.Helper()
	if opts.Endpoint == "" {
		opts.Endpoint = s3test.S3Endpoint(t)
	}
	c := testClient(t, opts.Endpoint)
	bucket := s3test.NewBucket(t, c)
	s, err := Open(context.Background(), "s3://"+bucket+"/"+testPrefix, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, c, bucket
}

func TestSuite(t *testing.T) {
	s3test.S3Endpoint(t)
	blobtest.Run(t, func(t *testing.T) blobtest.Store {
		s, c, bucket := openTest(t, Options{PartSize: MinPartSize})
		return blobtest.Store{BlobStore: s, PartSize: MinPartSize, GetOnly: true, Leftovers: func(t *testing.T) []string {
			objs, uploads := s3test.ListBucket(t, c, bucket)
			var keys []string
			for _, o := range objs {
				keys = append(keys, strings.TrimPrefix(*o.Key, testPrefix))
			}
			for _, u := range uploads {
				keys = append(keys, "unfinished upload of "+*u.Key)
			}
			return keys
		}}
	})
}

// TestPublicEndpoint signs links for the address clients use, here the same
// service by the name localhost.
func TestPublicEndpoint(t *testing.T) {
	endpoint := s3test.S3Endpoint(t)
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	public := "http://localhost:" + u.Port()
	s, _, _ := openTest(t, Options{Endpoint: endpoint, PublicEndpoint: public})
	const key = "job_1/r1/dev.csv.gz"
	w, err := s.Create(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("file")); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	link, err := s.SignedURL(context.Background(), key, time.Minute, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, public+"/") {
		t.Fatalf("link %s, want it on %s", link, public)
	}
	res, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || string(body) != "file" {
		t.Fatalf("GET %s: %d %q, want 200 and the file", link, res.StatusCode, body)
	}
}

// TestOpenErrors checks that Open says what to fix.
func TestOpenErrors(t *testing.T) {
	endpoint := s3test.S3Endpoint(t)
	bucket := s3test.NewBucket(t, testClient(t, endpoint))
	tests := []struct {
		name, url string
		opts      Options
		env       map[string]string
		want      string
	}{
		{"missing bucket", "s3://no-such-bucket-userport", Options{Endpoint: endpoint}, nil, `bucket "no-such-bucket-userport" does not exist at ` + endpoint},
		{"wrong secret", "s3://" + bucket, Options{Endpoint: endpoint}, map[string]string{"AWS_SECRET_ACCESS_KEY": "wrong"}, "denied: check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"},
		{"no region", "s3://" + bucket, Options{Endpoint: endpoint}, map[string]string{"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_CONFIG_FILE": os.DevNull}, "no AWS region: set AWS_REGION"},
		{"no credentials", "s3://" + bucket, Options{Endpoint: endpoint}, map[string]string{
			"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
			"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_WEB_IDENTITY_TOKEN_FILE": "",
			"AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
			"AWS_EC2_METADATA_DISABLED": "true", // no instance metadata service to ask here
		}, "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"},
		{"endpoint down", "s3://" + bucket, Options{Endpoint: "http://127.0.0.1:1"}, nil, `check bucket "` + bucket + `" at http://127.0.0.1:1`},
		{"not an s3 URL", "https://" + bucket, Options{Endpoint: endpoint}, nil, "want s3://bucket[/prefix]"},
		{"no bucket", "s3:///exports", Options{Endpoint: endpoint}, nil, "want s3://bucket[/prefix]"},
		{"bad prefix", "s3://" + bucket + "/a//b", Options{Endpoint: endpoint}, nil, `invalid prefix "a//b"`},
		{"bad endpoint", "s3://" + bucket, Options{Endpoint: "127.0.0.1:9000"}, nil, `invalid endpoint "127.0.0.1:9000"`},
		{"bad public endpoint", "s3://" + bucket, Options{Endpoint: endpoint, PublicEndpoint: "ftp://x"}, nil, `invalid endpoint "ftp://x"`},
		{"small parts", "s3://" + bucket, Options{Endpoint: endpoint, PartSize: 1 << 20}, nil, "part size 1048576"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := Open(ctx, tt.url, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open: %v, want an error saying %q", err, tt.want)
			}
		})
	}
	if _, err := Open(context.Background(), "s3://"+bucket+"/a/b/", Options{Endpoint: endpoint}); err != nil {
		t.Fatalf("Open with a prefix: %v", err)
	}
}

// TestCancelledWriter checks that a writer whose context is cancelled fails,
// and that aborting it still removes its upload.
func TestCancelledWriter(t *testing.T) {
	s, c, bucket := openTest(t, Options{PartSize: MinPartSize})
	ctx, cancel := context.WithCancel(context.Background())
	w, err := s.Create(ctx, "job_1/dev.csv.gz")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, MinPartSize+1)); err != nil {
		t.Fatal(err)
	}
	cancel()
	_, err = w.Write(make([]byte, 2*MinPartSize))
	if err == nil {
		err = w.Commit()
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Write or Commit after cancel: %v, want context.Canceled", err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if objs, uploads := s3test.ListBucket(t, c, bucket); len(objs)+len(uploads) != 0 {
		t.Fatalf("after Abort: %d objects and %d uploads, want none", len(objs), len(uploads))
	}
}
