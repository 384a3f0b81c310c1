package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/userport/userport"
	"github.com/userport/userport/client"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/internal/testutil/s3test"
	"github.com/userport/userport/localblob"
	"github.com/userport/userport/s3blob"
)

// blobBackend is a blob store that serves an export's file through its
// download links: the embedded store's own route, or S3's presigned GETs.
type blobBackend struct {
	store  userport.BlobStore
	origin string // the server the links point at
	// shortTTL is a link lifetime short enough for expire to wait out.
	shortTTL time.Duration
	// expire makes the link expire (the test waits for it); after it,
	// SignedURL signs links that work.
	expire func(t *testing.T, link string)
}

// localBackend is localblob's route on a test server, on a clock the test
// moves.
func localBackend(t *testing.T) blobBackend {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	clock := testutil.NewClock(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC))
	store, err := localblob.New(t.TempDir(), srv.URL, bytes.Repeat([]byte("k"), localblob.KeySize), clock)
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("GET /exports/", store.Handler())
	return blobBackend{store: store, origin: srv.URL, shortTTL: time.Minute,
		expire: func(*testing.T, string) { clock.Advance(time.Hour) }}
}

// s3Backend is a bucket of the S3 service USERPORT_TEST_S3_ENDPOINT names
// (skipped without one); a short link lives two seconds, which the test
// waits out.
func s3Backend(t *testing.T) blobBackend {
	endpoint := s3test.S3Endpoint(t)
	bucket := s3test.NewBucket(t, s3test.S3Client(t, endpoint))
	store, err := s3blob.Open(context.Background(), "s3://"+bucket+"/exports", s3blob.Options{Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	return blobBackend{store: store, origin: endpoint, shortTTL: 2 * time.Second, expire: func(t *testing.T, link string) {
		testutil.WaitFor(t, 10*time.Second, "the S3 link to expire", func() (string, bool) {
			res, err := http.Get(link)
			if err != nil {
				return err.Error(), false
			}
			res.Body.Close()
			return res.Status, res.StatusCode == http.StatusForbidden
		})
	}}
}

// exportFile is a gzip'd CSV export of rows users, random enough not to
// compress much, and its text.
func exportFile(t *testing.T, rows int) (gz []byte, csv string) {
	t.Helper()
	rnd := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	b.WriteString("user_id,email,name\n")
	for i := range rows {
		fmt.Fprintf(&b, "\"'auth0|%016x\",u%d@example.com,%x\n", rnd.Uint64(), i, rnd.Uint64())
	}
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes(), b.String()
}

// resumeEnv is an export's file on a blob store, behind a proxy that cuts
// its downloads, and a Management API that answers GET /jobs/job_1 with a
// fresh link through the proxy.
type resumeEnv struct {
	b        blobBackend
	ttl      time.Duration // of the links
	c        *client.Client
	job      *client.Job
	gz       []byte
	csv      string
	m        *userport.ExportManifest
	proxy    *testutil.CutProxy
	jobReads atomic.Int32
}

const resumeKey = "job_1/r1/dev.csv.gz"

// newResumeEnv returns the environment of a download whose links live
// ttl.
func newResumeEnv(t *testing.T, b blobBackend, ttl time.Duration) *resumeEnv {
	t.Helper()
	e := &resumeEnv{b: b, ttl: ttl, proxy: testutil.NewCutProxy(t, b.origin)}
	e.gz, e.csv = exportFile(t, 20_000)
	sum := sha256.Sum256(e.gz)
	e.m = &userport.ExportManifest{Rows: 20_000, Bytes: int64(len(e.gz)), SHA256: hex.EncodeToString(sum[:]), Format: userport.FormatCSV}
	w, err := b.store.Create(context.Background(), resumeKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(e.gz); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	api := http.NewServeMux()
	api.HandleFunc("GET /api/v2/jobs/job_1", func(w http.ResponseWriter, r *http.Request) {
		e.jobReads.Add(1)
		link, err := e.link()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(client.Job{ID: "job_1", Type: "users_export", Status: "completed", Format: "csv", Location: link})
	})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	if e.c, err = client.New(client.Options{URL: srv.URL, Token: "t"}); err != nil {
		t.Fatal(err)
	}
	link, err := e.link()
	if err != nil {
		t.Fatal(err)
	}
	e.job = &client.Job{ID: "job_1", Type: "users_export", Status: "completed", Format: "csv", Location: link}
	return e
}

// link is a fresh download link of the file, through the proxy.
func (e *resumeEnv) link() (string, error) {
	u, err := e.b.store.SignedURL(context.Background(), resumeKey, e.ttl, e.m.SHA256)
	return e.proxy.Link(u), err
}

// download downloads the file to a new directory, and returns what the
// client saved, the error, and the directory's files.
func (e *resumeEnv) download(t *testing.T, gunzip bool) (*client.Saved, error, []os.DirEntry) {
	t.Helper()
	dir := t.TempDir()
	saved, err := e.c.DownloadChecked(context.Background(), e.job, e.m, filepath.Join(dir, "dev.csv.gz"), gunzip, nil)
	entries, _ := os.ReadDir(dir)
	return saved, err, entries
}

// checkSaved checks a download that resumed at resumed: the file is the
// export's, byte for byte, and its sha256 the manifest's.
func (e *resumeEnv) checkSaved(t *testing.T, saved *client.Saved, err error, gunzip bool, resumed ...int64) {
	t.Helper()
	if err != nil {
		t.Fatalf("download: %v", err)
	}
	data, rerr := os.ReadFile(saved.Path)
	want := e.gz
	if gunzip {
		want = []byte(e.csv)
	}
	if rerr != nil || !bytes.Equal(data, want) {
		t.Fatalf("the file written holds %d bytes (%v), not the export's %d", len(data), rerr, len(want))
	}
	if saved.SHA256 != e.m.SHA256 || saved.Received != int64(len(e.gz)) || saved.Rows != e.m.Rows {
		t.Errorf("saved sha256 %s, %d bytes, %d rows; the manifest: %s, %d, %d", saved.SHA256, saved.Received, saved.Rows, e.m.SHA256, len(e.gz), e.m.Rows)
	}
	if fmt.Sprint(saved.Resumed) != fmt.Sprint(resumed) {
		t.Errorf("resumed at bytes %v, want %v", saved.Resumed, resumed)
	}
}

// TestResume cuts downloads mid-body, on both blob stores: each resumes
// where it stopped (a Range request, If-Range the first answer's ETag),
// under a fresh link when the first expired meanwhile, and the file
// written is the export's, its sha256 the manifest's. A file that does
// not match the manifest, or a download that cannot resume, leaves no file.
func TestResume(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func(t *testing.T) blobBackend{"localblob": localBackend, "s3blob": s3Backend} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testResume(t, open)
		})
	}
}

func testResume(t *testing.T, open func(t *testing.T) blobBackend) {
	t.Run("cut at 50%", func(t *testing.T) {
		e := newResumeEnv(t, open(t), time.Hour)
		half := int64(len(e.gz) / 2)
		e.proxy.Cut[0] = half
		saved, err, _ := e.download(t, false)
		e.checkSaved(t, saved, err, false, half)
		reqs := e.proxy.Requests()
		if len(reqs) != 2 || reqs[0].Get("Range") != "" || reqs[1].Get("Range") != fmt.Sprintf("bytes=%d-", half) || reqs[1].Get("If-Range") == "" {
			t.Fatalf("requests %v, want a plain GET then Range: bytes=%d- with If-Range", reqs, half)
		}
		for _, h := range reqs {
			if h.Get("Accept-Encoding") != "identity" {
				t.Errorf("a request with Accept-Encoding %q, want identity: the bytes as stored", h.Get("Accept-Encoding"))
			}
		}
		if n := e.jobReads.Load(); n != 0 {
			t.Errorf("%d fresh links asked for, want none: the link had not expired", n)
		}
	})
	t.Run("cut twice, gunzip'd", func(t *testing.T) {
		e := newResumeEnv(t, open(t), time.Hour)
		third := int64(len(e.gz) / 3)
		e.proxy.Cut[0], e.proxy.Cut[1] = third, third
		saved, err, _ := e.download(t, true)
		e.checkSaved(t, saved, err, true, third, 2*third)
	})
	t.Run("the link expired during the download", func(t *testing.T) {
		b := open(t)
		e := newResumeEnv(t, b, b.shortTTL)
		half := int64(len(e.gz) / 2)
		e.proxy.Cut[0] = half
		cut, resume := make(chan struct{}), make(chan struct{})
		e.proxy.OnCut = func(int) { close(cut); <-resume }
		done := make(chan struct{})
		var saved *client.Saved
		var err error
		go func() {
			defer close(done)
			saved, err, _ = e.download(t, false)
		}()
		<-cut
		e.b.expire(t, strings.Replace(e.job.Location, e.proxy.URL, e.b.origin, 1))
		close(resume)
		<-done
		e.checkSaved(t, saved, err, false, half)
		if n := e.jobReads.Load(); n != 1 {
			t.Errorf("%d fresh links asked for, want 1", n)
		}
	})
	t.Run("the server ignores the range", func(t *testing.T) {
		e := newResumeEnv(t, open(t), time.Hour)
		half := int64(len(e.gz) / 2)
		e.proxy.Cut[0] = half
		e.proxy.Header = func(n int, h http.Header) {
			if n == 1 {
				h.Del("Range") // the whole file again, 200: the client skips what it has
			}
		}
		saved, err, _ := e.download(t, false)
		e.checkSaved(t, saved, err, false, half)
	})
	t.Run("to standard output", func(t *testing.T) {
		e := newResumeEnv(t, open(t), time.Hour)
		e.proxy.Cut[0] = int64(len(e.gz) / 2)
		var out bytes.Buffer
		saved, err := e.c.WriteExport(context.Background(), e.job, e.m, &out, false, nil)
		if err != nil || !bytes.Equal(out.Bytes(), e.gz) || len(saved.Resumed) != 1 {
			t.Errorf("WriteExport: %v, %d bytes written, resumed at %v; want the export's %d bytes, resumed once", err, out.Len(), saved.Resumed, len(e.gz))
		}
	})
	t.Run("sha256 mismatch", func(t *testing.T) {
		e := newResumeEnv(t, open(t), time.Hour)
		e.proxy.Cut[0] = int64(len(e.gz) / 2)
		e.m.SHA256 = strings.Repeat("0", 64)
		_, err, files := e.download(t, false)
		if err == nil || !strings.Contains(err.Error(), "does not match the export's manifest: sha256 ") || len(files) != 0 {
			t.Errorf("download of a file that does not match: %v, files %v; want the mismatch and no file", err, files)
		}
	})
	t.Run("the file changed on the server", func(t *testing.T) {
		e := newResumeEnv(t, open(t), time.Hour)
		e.proxy.Cut[0] = int64(len(e.gz) / 2)
		e.proxy.OnCut = func(int) {
			w, err := e.b.store.Create(context.Background(), resumeKey)
			if err == nil {
				_, _ = w.Write(bytes.Repeat([]byte("x"), len(e.gz)))
				err = w.Commit()
			}
			if err != nil {
				t.Error(err)
			}
		}
		_, err, files := e.download(t, false)
		// S3 gives the new object another ETag; the embedded store's links
		// name the sha256 the job recorded (its keys are never rewritten), so
		// there the new bytes break the gzip stream, or fail the manifest.
		if err == nil || !containsAny(err.Error(), "the file changed on the server", "the gzip stream is broken", "does not match the export's manifest") || len(files) != 0 {
			t.Errorf("download of a file replaced meanwhile: %v, files %v; want an error and no file", err, files)
		}
	})
	t.Run("cut again and again", func(t *testing.T) {
		e := newResumeEnv(t, open(t), time.Hour)
		half := int64(len(e.gz) / 2)
		for n := range 7 {
			e.proxy.Cut[n] = 0
		}
		e.proxy.Cut[0] = half
		_, err, files := e.download(t, false)
		want := fmt.Sprintf("the download broke at byte %d of %d and did not resume after 5 tries", half, len(e.gz))
		if err == nil || !strings.Contains(err.Error(), want) || len(files) != 0 {
			t.Errorf("download: %v, files %v; want %q and no file", err, files, want)
		}
	})
}

// containsAny reports whether s contains one of subs.
func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// TestResumeAfterServerErrors: while a download resumes, answers that
// break again or are server errors (503, 502) are tried again, after a
// wait; a 404 ends the download at once.
func TestResumeAfterServerErrors(t *testing.T) {
	t.Parallel()
	gz, _ := exportFile(t, 5_000)
	var requests atomic.Int32
	// The first download: cut, 503, 502, a 206 cut again, a 206. The
	// second: cut, 404.
	statuses := map[int32]int{1: http.StatusServiceUnavailable, 2: http.StatusBadGateway, 6: http.StatusNotFound}
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1) - 1
		if status, ok := statuses[n]; ok {
			http.Error(w, "busy", status)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(gz))
	}))
	t.Cleanup(origin.Close)
	proxy := testutil.NewCutProxy(t, origin.URL)
	quarter := len(gz) / 4
	proxy.Cut[0], proxy.Cut[3], proxy.Cut[5] = int64(quarter), int64(quarter), int64(quarter)
	c, err := client.New(client.Options{URL: origin.URL, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	job := &client.Job{ID: "job_1", Status: "completed", Format: "csv", Location: proxy.URL + "/dev.csv.gz"}
	var out bytes.Buffer
	saved, err := c.WriteExport(context.Background(), job, nil, &out, false, nil)
	if err != nil || !bytes.Equal(out.Bytes(), gz) || fmt.Sprint(saved.Resumed) != fmt.Sprint([]int{quarter, 2 * quarter}) {
		t.Fatalf("download: %v; %d bytes of %d; resumed at %v", err, out.Len(), len(gz), saved)
	}

	_, err = c.WriteExport(context.Background(), job, nil, &out, false, nil)
	if err == nil || !strings.Contains(err.Error(), "404") || requests.Load() != 7 {
		t.Errorf("a 404 while resuming: %v after %d requests, want the 404 at once (7 requests)", err, requests.Load())
	}
}
