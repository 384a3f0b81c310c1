package main

// Faults of scale mode's engines: PostgreSQL restarted under an export, S3
// refusing the export's writes.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/config"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/internal/testutil/pgtest"
	"github.com/userport/userport/internal/testutil/s3test"
	"github.com/userport/userport/vault"
)

// TestExportSurvivesPostgresRestart restarts a PostgreSQL server of the
// test's own (fast shutdown: its connections are ended, new ones refused)
// while an export of 20,000 users (40 MB) runs on it. Meanwhile the API answers
// 503 at once, in the Management API's error shape with Retry-After; once
// the server is back, the export runs again and completes with every user.
func TestExportSurvivesPostgresRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and restarts a PostgreSQL server")
	}
	const users = 20_000
	srv := pgtest.StartServer(t)
	cfg := exConfig(t)
	cfg.DatabaseURL, cfg.Jobs, cfg.MasterKey = srv.URL, config.JobsInline, vault.NewMasterKey()
	// The export's first write waits until the server is down.
	writing, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	b := startMain(t, cfg, newTestClock(), func(m *Main) {
		m.wrapBlobs = func(real userport.BlobStore) userport.BlobStore {
			return &testutil.FaultyBlobs{BlobStore: real, Write: func(context.Context, []byte) error {
				once.Do(func() { close(writing); <-release })
				return nil
			}}
		}
	})
	// 20 pages of 2 KB users: the export writes its first bytes long before
	// it has read every page.
	b.putBulkyUsers(b.connection("Username-Password-Authentication"), users, 1500)
	id := b.exCreate(`{"format":"json"}`).ID
	select {
	case <-writing:
	case <-time.After(60 * time.Second):
		t.Fatal("the export never wrote")
	}
	srv.Stop()
	for _, c := range []struct{ method, path, body string }{
		{http.MethodGet, "/jobs/" + id, ""},
		{http.MethodPost, "/jobs/users-exports", `{"format":"csv","fields":[{"name":"email"}]}`},
		{http.MethodGet, "/users?per_page=5", ""},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		start := time.Now()
		r := b.admin(c.method, c.path, body)
		wantUnavailable(t, c.method+" "+c.path, r)
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s %s took %v to answer", c.method, c.path, d)
		}
	}
	close(release)
	srv.Start()
	j := b.exCompleted(id)
	if n := bytes.Count(b.exDownload(j), []byte("\n")); n != users {
		t.Errorf("the export after the restart has %d users, want %d", n, users)
	}
	if !strings.Contains(b.logs.String(), "export interrupted: the database is unavailable") {
		t.Errorf("the export was never interrupted by the restart; logs:\n%s", b.logs.String())
	}
}

// wantUnavailable checks a 503 in the Management API's error shape, with
// Retry-After.
func wantUnavailable(t *testing.T, what string, r *response) {
	t.Helper()
	var body struct {
		StatusCode int    `json:"statusCode"`
		Error      string `json:"error"`
		Message    string `json:"message"`
	}
	if r.status != http.StatusServiceUnavailable || json.Unmarshal(r.body, &body) != nil ||
		body.StatusCode != 503 || body.Error != "Service Unavailable" || body.Message == "" {
		t.Errorf("%s with the database down: %d %s, want 503 in the error shape", what, r.status, r.body)
	}
	if r.header.Get("Retry-After") == "" {
		t.Errorf("%s with the database down: no Retry-After", what)
	}
}

// s3Refusal says which writes a refusingS3 refuses.
type s3Refusal int32

const (
	refuseNothing   s3Refusal = iota
	refuseAll                 // every PUT and POST, as a bucket policy denying s3:PutObject does
	refuseAfterPart           // every PUT and POST after the first part is uploaded
)

// refusingS3 is a reverse proxy to a real S3 service that answers 403
// AccessDenied to the writes its refusal names. Aborting an upload (DELETE)
// and reads always reach the service. The Host header is kept, so the
// clients' signatures hold.
type refusingS3 struct {
	url     string
	refusal atomic.Int32
	parts   atomic.Int32 // parts uploaded
}

func newRefusingS3(t *testing.T, endpoint string) *refusingS3 {
	t.Helper()
	target, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	p := &refusingS3{}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Host = r.In.Host
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		write := r.Method == http.MethodPut || r.Method == http.MethodPost
		switch s3Refusal(p.refusal.Load()) {
		case refuseAll:
			if write {
				p.deny(w)
				return
			}
		case refuseAfterPart:
			if write && p.parts.Load() > 0 {
				p.deny(w)
				return
			}
		}
		if r.Method == http.MethodPut && r.URL.Query().Has("partNumber") {
			defer p.parts.Add(1)
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

// deny answers S3's AccessDenied.
func (p *refusingS3) deny(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusForbidden)
	fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
}

// putBulkyUsers writes n users whose metadata holds noise random bytes
// (base64), so that gzip cannot shrink their export much.
func (b *bundle) putBulkyUsers(conn *userport.Connection, n, noise int) {
	b.t.Helper()
	profiles := make([]*userport.Profile, n)
	now := userport.FormatTime(b.clock.Now())
	buf := make([]byte, noise)
	for i := range n {
		rand.Read(buf)
		hex := fmt.Sprintf("%024x", i)
		meta, _ := json.Marshal(map[string]string{"noise": base64.StdEncoding.EncodeToString(buf)})
		profiles[i] = &userport.Profile{UserID: "auth0|" + hex, Email: fmt.Sprintf("user%d@example.com", i), CreatedAt: now, UpdatedAt: now,
			UserMetadata: meta, Identities: []userport.Identity{{Connection: conn.Name, Provider: "auth0", UserID: hex}}}
	}
	b.exPutProfiles(conn, profiles...)
}

// TestExportS3RefusesWrites makes S3 refuse the export's writes, from the
// start (the upload is never created) or after its first part (the upload
// must be aborted): the job fails with status_details, no location, no
// object and no multipart upload left in the bucket; once S3 takes writes
// again, the next export completes.
func TestExportS3RefusesWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("exports 13 MB to S3")
	}
	endpoint := s3test.S3Endpoint(t)
	client := s3test.S3Client(t, endpoint)
	for _, tc := range []struct {
		name    string
		refusal s3Refusal
	}{
		{"from the start", refuseAll},
		{"after the first part", refuseAfterPart},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bucket := s3test.NewBucket(t, client)
			proxy := newRefusingS3(t, endpoint)
			cfg := exConfig(t)
			cfg.BlobURL, cfg.S3Endpoint, cfg.Jobs = "s3://"+bucket+"/exports/", proxy.url, config.JobsInline
			b := start(t, cfg, newTestClock())
			// 2,200 users of 6 KB: a 13 MB export, two 5 MiB parts and a last one.
			b.putBulkyUsers(b.connection("Username-Password-Authentication"), 2200, 4500)
			proxy.refusal.Store(int32(tc.refusal))
			j := b.exWait(b.exCreate(`{"format":"json"}`).ID)
			if j.Status != "failed" || j.StatusDetails == "" || j.Location != "" {
				t.Fatalf("export while S3 refuses writes: %s", j.Raw)
			}
			if tc.refusal == refuseAfterPart && proxy.parts.Load() == 0 {
				t.Fatal("no part was uploaded before the refusal")
			}
			objs, uploads := s3test.ListBucket(t, client, bucket)
			if len(objs) != 0 || len(uploads) != 0 {
				t.Errorf("left in the bucket by the failed export: %d objects, %d multipart uploads", len(objs), len(uploads))
			}
			proxy.refusal.Store(int32(refuseNothing))
			done := b.exCompleted(b.exCreate(`{"format":"json"}`).ID)
			r := b.exFetch(done.Location)
			r.wantStatus(t, http.StatusOK)
			if n := bytes.Count(exGunzip(t, r.body), []byte("\n")); n != 2200 {
				t.Errorf("the export after S3 took writes again has %d users, want 2200", n)
			}
		})
	}
}
