package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/userport/userport/internal/config"
	"github.com/userport/userport/internal/testutil"
)

// scrape reads the server's /metrics, parsed.
func (b *bundle) scrape() map[string]*dto.MetricFamily {
	b.t.Helper()
	r := b.request(http.MethodGet, "/metrics", nil)
	r.wantStatus(b.t, http.StatusOK)
	return testutil.ParseMetrics(b.t, r.body)
}

// waitMetric scrapes until the series reaches want: a worker counts a job
// just after the job reads completed.
func (b *bundle) waitMetric(want float64, name string, labels ...string) {
	b.t.Helper()
	var got float64
	exPoll(b.t, 30*time.Second, fmt.Sprintf("%s%v = %v", name, labels, want), func() bool {
		got, _ = testutil.MetricValue(b.scrape(), name, labels...)
		return got == want
	})
}

// TestMetricsAfterExportAndImport runs an export and an import through the
// real server and reads what /metrics says of them.
func TestMetricsAfterExportAndImport(t *testing.T) {
	b := exStart(t, nil)
	b.putUsers(b.connection(upa), 0, 25)
	j := b.exCreate(`{"format":"csv"}`)
	done := b.exCompleted(j.ID)
	b.exDownload(done)
	file := b.exFetch(done.Location).body // gzip'd, as stored
	b.waitMetric(25, "userport_export_rows_total")
	b.waitMetric(float64(len(file)), "userport_export_bytes_total")
	b.waitMetric(1, "userport_job_duration_seconds", "type", "users_export", "status", "completed")

	upload := imNDJSON(`{"email":"new1@example.com"}`, `{"email":"new2@example.com"}`, `{"email":"bad"}`)
	b.imRun(upload, b.connection(upa).ID)
	b.waitMetric(2, "userport_import_users_total", "outcome", "inserted")
	b.waitMetric(1, "userport_import_users_total", "outcome", "failed")
	b.waitMetric(float64(len(upload)), "userport_import_bytes_total")
	b.waitMetric(1, "userport_job_duration_seconds", "type", "users_import", "status", "completed")

	// The gauges read from the database are cached for a few seconds.
	b.waitMetric(1, "userport_jobs", "type", "users_import", "status", "completed")
	fams := b.scrape()
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"userport_jobs", []string{"type", "users_export", "status", "completed"}, 1},
		{"userport_jobs", []string{"type", "users_export", "status", "pending"}, 0},
		{"userport_queue_jobs", []string{"state", "available"}, 0},
		{"userport_http_requests_total", []string{"route", "POST /api/v2/jobs/users-exports", "code", "200"}, 1},
		{"userport_http_requests_total", []string{"route", "POST /api/v2/jobs/users-imports", "code", "202"}, 1},
		{"userport_http_request_duration_seconds", []string{"route", "POST /api/v2/jobs/users-exports"}, 1},
	} {
		if got, ok := testutil.MetricValue(fams, tc.name, tc.labels...); !ok || got != tc.want {
			t.Errorf("%s%v = %v (present: %v), want %v", tc.name, tc.labels, got, ok, tc.want)
		}
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "userport_http_requests_in_flight"} {
		if fams[name] == nil {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

// TestJSONLogs checks that with --log-format json every line the server
// writes is a JSON object, and a request's line carries its id.
func TestJSONLogs(t *testing.T) {
	cfg := exConfig(t)
	cfg.LogFormat, cfg.LogLevel = config.LogJSON, "debug"
	logs := &syncBuffer{}
	b := startMain(t, cfg, newTestClock(), func(m *Main) { m.Logger = m.Config.Logger(logs) })
	b.request(http.MethodGet, "/no/such/path", nil, "X-Request-Id", "json-1").wantStatus(t, http.StatusNotFound)
	b.exCompleted(b.exCreate(`{"format":"json"}`).ID)
	var sawRequest bool
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if v["msg"] == "request" && v["request_id"] == "json-1" && v["route"] == "/" && v["status"] == float64(404) {
			sawRequest = true
		}
	}
	if !sawRequest {
		t.Errorf("no JSON line of the request json-1 with its route and status:\n%s", logs)
	}
}
