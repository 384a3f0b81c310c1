package metrics_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/userport/userport"
	"github.com/userport/userport/metrics"
)

// counts is a JobCounter and QueueCounter of function fields: a database
// that fails on demand.
type counts struct {
	jobs  func() ([]userport.JobCount, error)
	queue func() (map[string]int64, error)
}

func (c counts) JobCounts(context.Context) ([]userport.JobCount, error) { return c.jobs() }
func (c counts) QueueCounts(context.Context) (map[string]int64, error)  { return c.queue() }

func TestStoreGauges(t *testing.T) {
	reads := 0
	fail := false
	c := counts{
		jobs: func() ([]userport.JobCount, error) {
			reads++
			if fail {
				return nil, errors.New("database down")
			}
			return []userport.JobCount{{Type: userport.JobUsersExport, Status: userport.JobCompleted, N: 3}}, nil
		},
		queue: func() (map[string]int64, error) { return map[string]int64{"available": 2}, nil },
	}
	s := &metrics.Store{Jobs: c, Queue: c, TTL: time.Hour}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(s)
	want := `
# HELP userport_queue_jobs Entries of the job queue (River) by state: available ones wait for a worker (the queue depth), scheduled ones for their time (a retry, an import's next chunk).
# TYPE userport_queue_jobs gauge
userport_queue_jobs{state="available"} 2
userport_queue_jobs{state="retryable"} 0
userport_queue_jobs{state="running"} 0
userport_queue_jobs{state="scheduled"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "userport_queue_jobs"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(s, "userport_jobs"); n != 10 {
		t.Errorf("%d userport_jobs series, want one per type and status (10)", n)
	}
	if reads != 1 {
		t.Errorf("%d reads of the database within the TTL, want 1", reads)
	}
	fail = true
	s.TTL = time.Nanosecond
	if _, err := reg.Gather(); err == nil || !strings.Contains(err.Error(), "database down") {
		t.Errorf("a failed read gathered with error %v, want the database's", err)
	}
	fail = false
	if _, err := reg.Gather(); err != nil {
		t.Errorf("the read after a failure: %v", err)
	}
}

func TestHTTPUnmatchedRoute(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := metrics.NewHTTP(reg)
	h.Started()
	h.Finished("", 301, time.Millisecond)
	want := `
# HELP userport_http_requests_total Answered requests by route (the ServeMux pattern that matched; "/" for unknown paths) and status code.
# TYPE userport_http_requests_total counter
userport_http_requests_total{code="301",route="unmatched"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "userport_http_requests_total"); err != nil {
		t.Error(err)
	}
}

// TestRemote checks that serve's registry and a worker's, gathered through
// Remote, make one valid exposition: the worker's job counters as they are,
// its runtime beside serve's under process="worker".
func TestRemote(t *testing.T) {
	worker := metrics.NewRegistry()
	metrics.NewJobs(worker).Exported(7, 700)
	srv := httptest.NewServer(metrics.Handler(worker, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	serve := metrics.NewRegistry()
	fams, err := prometheus.Gatherers{serve, &metrics.Remote{URL: srv.URL, Process: "worker"}}.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			labels := ""
			for _, l := range m.GetLabel() {
				labels += l.GetName() + "=" + l.GetValue() + ","
			}
			found[f.GetName()+"{"+labels+"}"] = true
			if f.GetName() == "userport_export_rows_total" && m.GetCounter().GetValue() != 7 {
				t.Errorf("userport_export_rows_total = %v, want 7", m.GetCounter().GetValue())
			}
		}
	}
	for _, s := range []string{"userport_export_rows_total{}", "go_goroutines{}", "go_goroutines{process=worker,}"} {
		if !found[s] {
			t.Errorf("no series %s among the gathered ones", s)
		}
	}
	srv.Close()
	if _, err := (&metrics.Remote{URL: srv.URL, Timeout: time.Second}).Gather(); err == nil {
		t.Error("a worker that does not answer gathered without error")
	}
}
