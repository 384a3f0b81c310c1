package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads the server's /metrics, parsed.
func (b *bundle) scrape() map[string]*dto.MetricFamily {
	b.t.Helper()
	r := b.request(http.MethodGet, "/metrics", nil)
	r.wantStatus(b.t, http.StatusOK)
	return parseMetrics(b.t, r.body)
}

// parseMetrics parses Prometheus' text format.
func parseMetrics(t *testing.T, body []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	return fams
}

// metricValue is the value of the series of family name with exactly the
// given labels (name, value pairs); ok false when there is none. A
// histogram's value is its count.
func metricValue(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	mf := fams[name]
	if mf == nil {
		return 0, false
	}
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	for _, m := range mf.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

// waitMetric scrapes until the series reaches want: a worker counts a job
// just after the job reads completed.
func (b *bundle) waitMetric(want float64, name string, labels ...string) {
	b.t.Helper()
	var got float64
	exPoll(b.t, 30*time.Second, fmt.Sprintf("%s%v = %v", name, labels, want), func() bool {
		got, _ = metricValue(b.scrape(), name, labels...)
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
		if got, ok := metricValue(fams, tc.name, tc.labels...); !ok || got != tc.want {
			t.Errorf("%s%v = %v (present: %v), want %v", tc.name, tc.labels, got, ok, tc.want)
		}
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "userport_http_requests_in_flight"} {
		if fams[name] == nil {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

// TestMetricsRouteCardinality checks that the route label is the matched
// pattern, not the path: unknown paths and many user ids add no series.
func TestMetricsRouteCardinality(t *testing.T) {
	b := setup(t)
	series := func() int {
		return len(b.scrape()["userport_http_requests_total"].GetMetric())
	}
	b.request(http.MethodGet, "/no/such/path", nil).wantStatus(t, http.StatusNotFound)
	b.admin(http.MethodGet, "/users/auth0|000000000000000000000001", nil).wantStatus(t, http.StatusNotFound)
	b.scrape() // GET /metrics's own series
	before := series()
	for i := range 40 {
		b.request(http.MethodGet, fmt.Sprintf("/no/such/path/%d?x=%d", i, i), nil).wantStatus(t, http.StatusNotFound)
		b.request("PURGE", fmt.Sprintf("/api/v2/x%d", i), nil)
		b.admin(http.MethodGet, fmt.Sprintf("/users/auth0|%024x", i+2), nil).wantStatus(t, http.StatusNotFound)
	}
	if after := series(); after != before {
		t.Errorf("%d series of userport_http_requests_total after 120 requests to new paths, %d before: %v",
			after, before, b.scrape()["userport_http_requests_total"])
	}
	fams := b.scrape()
	if n, _ := metricValue(fams, "userport_http_requests_total", "route", "/", "code", "404"); n < 41 {
		t.Errorf("unknown paths counted under route \"/\" %v times, want at least 41", n)
	}
	if n, _ := metricValue(fams, "userport_http_requests_total", "route", "GET /api/v2/users/{id}", "code", "404"); n != 41 {
		t.Errorf("GET /api/v2/users/{id} 404 counted %v times, want 41", n)
	}
}

// TestRequestIDs checks X-Request-Id: a sane incoming id is kept and echoed,
// any other is replaced by a new one, and the log lines of a request and of
// the job it creates carry the ids.
func TestRequestIDs(t *testing.T) {
	b := exStart(t, nil)
	tok := b.token()
	generated := regexp.MustCompile(`^[A-Za-z0-9]{20}$`)
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"trace-42.abc:DEF/x=", "trace-42.abc:DEF/x="},
		{"has space", ""},
		{strings.Repeat("a", 129), ""},
		{`quote"d`, ""},
	} {
		r := b.request(http.MethodGet, "/api/v2/users", nil, "Authorization", "Bearer "+tok, "X-Request-Id", tc.in)
		got := r.header.Get("X-Request-Id")
		if tc.want != "" && got != tc.want || tc.want == "" && !generated.MatchString(got) {
			t.Errorf("X-Request-Id %q: answered %q, want %q (or a generated id)", tc.in, got, tc.want)
		}
	}
	r := b.request(http.MethodPost, "/api/v2/jobs/users-exports", `{"format":"csv"}`, "Authorization", "Bearer "+tok,
		"X-Request-Id", "req-export-1")
	r.wantStatus(t, http.StatusOK)
	id := exDecodeJob(t, r.body).ID
	b.exCompleted(id)
	created := regexp.MustCompile(`(?m)^.*msg="export job created".*$`).FindString(b.logs.String())
	if !strings.Contains(created, "request_id=req-export-1") || !strings.Contains(created, "job_id="+id) {
		t.Errorf("the line of the export's creation lacks its request id or job id: %q", created)
	}
	exPoll(t, 30*time.Second, "the export's completion logged", func() bool {
		return strings.Contains(b.logs.String(), `msg="users_export completed"`)
	})
	done := regexp.MustCompile(`(?m)^.*msg="users_export completed".*$`).FindString(b.logs.String())
	if !strings.Contains(done, "job_id="+id) || !strings.Contains(done, "rows=0") {
		t.Errorf("the line of the export's completion lacks its job id or rows: %q", done)
	}
}

// TestJSONLogs checks that with --log-format json every line the server
// writes is a JSON object, and a request's line carries its id.
func TestJSONLogs(t *testing.T) {
	cfg := exConfig(t)
	cfg.LogFormat, cfg.LogLevel = LogJSON, "debug"
	logs := &syncBuffer{}
	b := startMain(t, cfg, newTestClock(), func(m *Main) { m.Logger = newLogger(logs, &m.Config) })
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

// TestLogFormatSetting checks --log-format and USERPORT_LOG_FORMAT: json and
// text are taken, anything else stops the command naming the setting.
func TestLogFormatSetting(t *testing.T) {
	for _, tc := range []struct {
		env, flag string
		want      string // "" for an error
	}{
		{"", "", LogText},
		{"json", "", LogJSON},
		{"", "json", LogJSON},
		{"json", "text", LogText},
		{"JSON", "", ""},
		{"", "yaml", ""},
	} {
		t.Run(tc.env+"/"+tc.flag, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv("USERPORT_LOG_FORMAT", tc.env)
			}
			var cfg Config
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			cfg.ServerFlags(fs)
			args := []string{"--data-dir", t.TempDir()}
			if tc.flag != "" {
				args = append(args, "--log-format", tc.flag)
			}
			err := parseFlags(fs, args, &bytes.Buffer{}, &cfg)
			switch {
			case tc.want == "" && (err == nil || !strings.Contains(err.Error(), "USERPORT_LOG_FORMAT")):
				t.Errorf("err = %v, want one naming USERPORT_LOG_FORMAT", err)
			case tc.want != "" && (err != nil || cfg.LogFormat != tc.want):
				t.Errorf("LogFormat = %q, err %v; want %q", cfg.LogFormat, err, tc.want)
			}
		})
	}
}

// TestDashboardMetricsExist checks docs/grafana-dashboard.json: valid JSON,
// and every metric its panels query is one the server exposes.
func TestDashboardMetricsExist(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("the dashboard is not valid JSON: %v", err)
	}
	b := setup(t)
	b.scrape()
	fams := b.scrape() // the first scrape's request is in the HTTP histograms now
	name := regexp.MustCompile(`\b(?:userport|go|process)_[a-z0-9_]+`)
	exposed := func(n string) bool {
		if fams[n] != nil {
			return true
		}
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if f := fams[strings.TrimSuffix(n, suffix)]; strings.HasSuffix(n, suffix) && f != nil &&
				(f.GetType() == dto.MetricType_HISTOGRAM || f.GetType() == dto.MetricType_SUMMARY) {
				return true
			}
		}
		return false
	}
	queried := 0
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q queries nothing", p.Title)
		}
		for _, tg := range p.Targets {
			for _, n := range name.FindAllString(tg.Expr, -1) {
				queried++
				if !exposed(n) {
					t.Errorf("panel %q queries %s, which /metrics does not expose", p.Title, n)
				}
			}
		}
	}
	if queried < 10 {
		t.Errorf("the dashboard queries %d metrics: the expressions were not read", queried)
	}
}
