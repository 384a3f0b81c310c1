package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// fakeServer answers the routes a run drives: exports complete on their
// third poll, the import on its first, and downloads answer download.
func fakeServer(t *testing.T, download http.HandlerFunc) *httptest.Server {
	t.Helper()
	var polls atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v2/connections", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `[{"id":"con_1","name":"Username-Password-Authentication"}]`)
	})
	mux.HandleFunc("POST /api/v2/users", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusCreated) })
	mux.HandleFunc("POST /api/v2/jobs/users-exports", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"id":"job_export","status":"pending"}`)
	})
	mux.HandleFunc("POST /api/v2/jobs/users-imports", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, `{"id":"job_import","status":"pending"}`)
	})
	var srv *httptest.Server
	mux.HandleFunc("GET /api/v2/jobs/{id}", func(w http.ResponseWriter, r *http.Request) {
		switch id := r.PathValue("id"); {
		case id == "job_import":
			io.WriteString(w, `{"id":"job_import","status":"completed","summary":{"inserted":1}}`)
		case polls.Add(1) < 3:
			fmt.Fprintf(w, `{"id":%q,"status":"processing"}`, id)
		default:
			fmt.Fprintf(w, `{"id":%q,"status":"completed","location":%q}`, id, srv.URL+"/download/"+id)
		}
	})
	mux.HandleFunc("GET /download/{id}", download)
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestFirstExport checks the mixed scenario's guarantee: its first export
// is followed and downloaded before the clock starts, so a run too short
// for any client to see an export end still drives the download route,
// and a download that errors is still an error of the run.
func TestFirstExport(t *testing.T) {
	var file bytes.Buffer
	zw := gzip.NewWriter(&file)
	io.WriteString(zw, "{\"user_id\":\"a\"}\n{\"user_id\":\"b\"}\n")
	zw.Close()
	tests := []struct {
		name     string
		download http.HandlerFunc
		ok       int64 // successful downloads
		errors   int64
		detail   string
	}{
		{"served", func(w http.ResponseWriter, _ *http.Request) { w.Write(file.Bytes()) }, 1, 0, "2 users downloaded"},
		{"500", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) }, 0, 1,
			"the download did not succeed"},
		{"not gzip", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "plain text\n") }, 0, 1,
			"the download did not succeed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakeServer(t, tt.download)
			cfg := Config{Scenario: Mixed, Duration: time.Nanosecond, Clients: 2, ImportUsers: 1,
				PollInterval: time.Millisecond, RequestTimeout: 10 * time.Second, TempDir: t.TempDir()}
			rep, err := Run(context.Background(), cfg, Target{URL: srv.URL, AdminToken: "admin", ClientTokens: []string{"c"}})
			if err != nil {
				t.Fatal(err)
			}
			if rep.FirstExport.Status != "completed" || rep.FirstExport.Detail != tt.detail {
				t.Errorf("first export = %+v, want completed, %q", rep.FirstExport, tt.detail)
			}
			dl, _ := rep.Route(RouteDownload)
			if dl.Requests != 1 || dl.OK != tt.ok || dl.Errors != tt.errors || rep.Errors != tt.errors {
				t.Errorf("download route %+v, run errors %d: want 1 request, %d ok, %d errors", dl, rep.Errors, tt.ok, tt.errors)
			}
			var text strings.Builder
			if err := rep.WriteText(&text); err != nil || !strings.Contains(text.String(), "first export  job_export completed") {
				t.Errorf("text report lacks the first export (%v):\n%s", err, text.String())
			}
		})
	}
	// The writes scenario makes no first export.
	srv := fakeServer(t, func(w http.ResponseWriter, _ *http.Request) { w.Write(file.Bytes()) })
	cfg := Config{Scenario: Writes, Duration: time.Nanosecond, Clients: 1, ImportUsers: 1, TempDir: t.TempDir()}
	rep, err := Run(context.Background(), cfg, Target{URL: srv.URL, AdminToken: "admin", ClientTokens: []string{"c"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rep.Route(RouteDownload); ok || rep.FirstExport != (JobReport{}) {
		t.Errorf("writes: first export %+v, download route %v: want none", rep.FirstExport, ok)
	}
}
