package httpapi_test

// The client package against the API: its errors, its token cache, its
// waits on 429s. The commands built on it are tested in cmd/userport.

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/userport/userport/client"
	"github.com/userport/userport/httpapi"
	"github.com/userport/userport/internal/testutil"
)

// apiClient returns a client of e's server with its admin client, opts
// applied.
func (e *env) apiClient(opts client.Options) *client.Client {
	e.t.Helper()
	if opts.URL == "" {
		opts.URL = e.base
	}
	if opts.Token == "" && opts.ClientID == "" {
		opts.ClientID, opts.ClientSecret = adminID, adminSecret
	}
	c, err := client.New(opts)
	must(e.t, err)
	return c
}

// The client package's error paths, each one line naming what went wrong.
func TestClientErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.work(nil)
	ctx := context.Background()
	var apiErr *client.Error

	t.Run("bad credentials", func(t *testing.T) {
		c := b.apiClient(client.Options{ClientID: adminID, ClientSecret: "wrong-secret"})
		_, err := c.Job(ctx, "job_aaaaaaaaaaaaaaaa")
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.ErrorCode != "access_denied" {
			t.Fatalf("error = %v", err)
		}
		testutil.WantOneLine(t, err, "get a token: server answered 401 Unauthorized (access_denied): Unauthorized")
		c = b.apiClient(client.Options{Token: "not-a-token"})
		_, err = c.Job(ctx, "job_aaaaaaaaaaaaaaaa")
		testutil.WantOneLine(t, err, "server answered 401 Unauthorized: Invalid token")
	})
	t.Run("unknown job", func(t *testing.T) {
		_, err := b.apiClient(client.Options{}).Job(ctx, "job_aaaaaaaaaaaaaaaa")
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.ErrorCode != "inexistent_job" {
			t.Fatalf("error = %v", err)
		}
		testutil.WantOneLine(t, err, "get job job_aaaaaaaaaaaaaaaa: server answered 404 Not Found (inexistent_job): The job does not exist.")
		_, err = b.apiClient(client.Options{}).JobErrors(ctx, "job_aaaaaaaaaaaaaaaa")
		testutil.WantOneLine(t, err, "(inexistent_job)")
	})
	t.Run("server down", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		must(t, err)
		addr := l.Addr().String()
		l.Close() // nothing listens there now
		_, err = b.apiClient(client.Options{URL: "http://" + addr}).Job(ctx, "job_aaaaaaaaaaaaaaaa")
		var down *client.UnreachableError
		if !errors.As(err, &down) {
			t.Fatalf("error = %v, want an UnreachableError", err)
		}
		testutil.WantOneLine(t, err, "cannot reach "+addr+": ")
	})
	t.Run("expired link fetched again", func(t *testing.T) {
		b.putUsers(b.connection(upa), 0, 3)
		c := b.apiClient(client.Options{})
		job, err := c.CreateExport(ctx, client.ExportRequest{Format: "csv"})
		must(t, err)
		if job, err = c.Wait(ctx, job.ID, 10*time.Millisecond, nil); err != nil || job.Status != "completed" {
			t.Fatalf("wait: %+v, %v", job, err)
		}
		stale := job.Location
		b.advance(httpapi.DefaultDownloadTTL + time.Second)
		if r := b.request(http.MethodGet, strings.TrimPrefix(stale, b.base), nil); r.status != http.StatusForbidden {
			t.Fatalf("the old link answers %d, want 403", r.status)
		}
		saved, err := c.DownloadExport(ctx, job, filepath.Join(t.TempDir(), "dev.csv.gz"), false, nil)
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		data, err := os.ReadFile(saved.Path)
		must(t, err)
		if lines := strings.Count(string(testutil.Gunzip(t, data)), "\n"); saved.Rows != 3 || lines != 4 || job.Location == stale {
			t.Errorf("saved %+v, %d lines; location renewed: %v", saved, lines, job.Location != stale)
		}
	})
	t.Run("not gzip", func(t *testing.T) {
		job := &client.Job{ID: "job_aaaaaaaaaaaaaaaa", Status: "completed", Format: "csv", Location: b.base + "/healthz"}
		dir := t.TempDir()
		_, err := b.apiClient(client.Options{}).DownloadExport(ctx, job, filepath.Join(dir, "x.csv.gz"), false, nil)
		testutil.WantOneLine(t, err, "download the export of job job_aaaaaaaaaaaaaaaa: the file is not gzip")
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("left in the directory: %v", entries)
		}
	})
}

// The token is asked for once, and again only when it nears its expiry.
func TestClientTokenCache(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var tokens atomic.Int32
	now := time.Now()
	var clock atomic.Int64
	c := b.apiClient(client.Options{
		HTTP: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.URL.Path == "/oauth/token" {
				tokens.Add(1)
			}
			return http.DefaultTransport.RoundTrip(r)
		})},
		Now: func() time.Time { return now.Add(time.Duration(clock.Load())) },
	})
	for range 3 {
		if _, err := c.ListJobs(context.Background(), 0, 1); err != nil {
			t.Fatal(err)
		}
	}
	if n := tokens.Load(); n != 1 {
		t.Errorf("%d token requests for 3 calls, want 1", n)
	}
	clock.Store(int64(b.Server.Issuer.TTL - 30*time.Second)) // within the renewal margin
	if _, err := c.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := tokens.Load(); n != 2 {
		t.Errorf("%d token requests after nearing expiry, want 2", n)
	}
}

// roundTripFunc is an http.RoundTripper of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

// RoundTrip calls f.
func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A 429 with a short Retry-After is waited out; one with a long wait (the
// tenant's bound of pending exports) is the error.
func TestClientRateLimited(t *testing.T) {
	t.Parallel()
	b := setup(t, func(s *httpapi.Server) { // no job worked: an export stays pending
		s.RateLimits, s.MaxPendingExportsPerTenant = httpapi.RateLimits{Rate: 2, Burst: 1}, 1
	})
	c := b.apiClient(client.Options{})
	ctx := context.Background()
	var apiErr *client.Error
	for i := range 3 { // one a burst: the second and third wait about half a second each
		if _, err := c.Job(ctx, "job_aaaaaaaaaaaaaaaa"); !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
			t.Fatalf("call %d: %v, want the 404 after waiting", i, err)
		}
	}
	if _, err := c.CreateExport(ctx, client.ExportRequest{}); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateExport(ctx, client.ExportRequest{})
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 || apiErr.RetryAfter != 30*time.Second {
		t.Fatalf("second export: %v", err)
	}
	testutil.WantOneLine(t, err, "create the export: server answered 429 Too Many Requests (too_many_requests): ")
}
