package metrics_test

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/metrics"
)

// get returns the body of GET url, failing the test unless it is a 200.
func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	return string(body)
}

// TestProcessServe: a process serves its runtime, API and job metrics and a
// child's job families on an address of its own until Close.
func TestProcessServe(t *testing.T) {
	child := metrics.NewProcess(false, slog.New(slog.DiscardHandler))
	child.Jobs().JobFinished(userport.JobUsersExport, userport.JobCompleted, time.Second)
	childSrv := httptest.NewServer(child.Handler())
	defer childSrv.Close()

	p := metrics.NewProcess(true, slog.New(slog.DiscardHandler))
	p.HTTP.Finished("GET /api/v2/users", 200, time.Millisecond)
	p.AddChild(childSrv.URL, "worker")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.Serve(l, func(h http.Handler) *http.Server { return &http.Server{Handler: h} })
	body := get(t, "http://"+l.Addr().String()+"/metrics")
	for _, want := range []string{"go_goroutines", "userport_http_requests_total", `process="worker"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, body)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err, ok := <-p.Served(); ok {
		t.Errorf("Served after Close: %v, want closed", err)
	}
	if _, err := http.Get("http://" + l.Addr().String() + "/metrics"); err == nil {
		t.Error("still serving after Close")
	}
}

// TestProcessWithoutServe: a process that serves nothing has nothing to
// close and never reports an end.
func TestProcessWithoutServe(t *testing.T) {
	p := metrics.NewProcess(false, slog.New(slog.DiscardHandler))
	if p.HTTP != nil || p.Close() != nil {
		t.Error("a process without the API has HTTP metrics, or Close failed")
	}
	select {
	case err := <-p.Served():
		t.Errorf("Served without Serve: %v", err)
	default:
	}
}

// TestProcessLocalChild: a child serving on the loopback address
// AddLocalChild picked (ListenAndServe) is part of the parent's metrics;
// an address that cannot be listened on is an error naming it.
func TestProcessLocalChild(t *testing.T) {
	p := metrics.NewProcess(true, slog.New(slog.DiscardHandler))
	addr, err := p.AddLocalChild("worker")
	if err != nil {
		t.Fatal(err)
	}
	child := metrics.NewProcess(false, slog.New(slog.DiscardHandler))
	child.Jobs().JobFinished(userport.JobUsersImport, userport.JobCompleted, time.Second)
	got, err := child.ListenAndServe(addr, func(h http.Handler) *http.Server { return &http.Server{Handler: h} })
	if err != nil || got.String() != addr {
		t.Fatalf("ListenAndServe(%s) on %v: %v", addr, got, err)
	}
	defer child.Close()
	parent := httptest.NewServer(p.Handler())
	defer parent.Close()
	if body := get(t, parent.URL); !strings.Contains(body, `process="worker"`) || !strings.Contains(body, "users_import") {
		t.Errorf("the parent's metrics lack the child's import job:\n%s", body)
	}
	if _, err := child.ListenAndServe(addr, nil); err == nil || !strings.Contains(err.Error(), "listen for metrics on "+addr) {
		t.Errorf("ListenAndServe on a taken address: %v", err)
	}
}
