package httpapi_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/userport/userport/httpapi"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/metrics"
)

// withMetrics serves the HTTP metrics at GET /metrics, as serve does.
func withMetrics(s *httpapi.Server) {
	reg := metrics.NewRegistry()
	s.Metrics = metrics.NewHTTP(reg)
	s.MetricsHandler = metrics.Handler(reg, s.Logger)
}

// scrape reads the server's /metrics, parsed.
func (e *env) scrape() map[string]*dto.MetricFamily {
	e.t.Helper()
	r := e.request(http.MethodGet, "/metrics", nil)
	r.wantStatus(e.t, http.StatusOK)
	return testutil.ParseMetrics(e.t, r.body)
}

// TestMetricsRouteCardinality checks that the route label is the matched
// pattern, not the path: unknown paths and many user ids add no series.
func TestMetricsRouteCardinality(t *testing.T) {
	t.Parallel()
	b := setup(t, withMetrics)
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
	if n, _ := testutil.MetricValue(fams, "userport_http_requests_total", "route", "/", "code", "404"); n < 41 {
		t.Errorf("unknown paths counted under route \"/\" %v times, want at least 41", n)
	}
	if n, _ := testutil.MetricValue(fams, "userport_http_requests_total", "route", "GET /api/v2/users/{id}", "code", "404"); n != 41 {
		t.Errorf("GET /api/v2/users/{id} 404 counted %v times, want 41", n)
	}
}

// TestRequestIDs checks X-Request-Id: a sane incoming id is kept and echoed,
// any other is replaced by a new one, and the log lines of a request and of
// the job it creates carry the ids.
func TestRequestIDs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.work(nil)
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
	id := decodeJob(t, r.body).ID
	b.completed(id)
	created := regexp.MustCompile(`(?m)^.*msg="export job created".*$`).FindString(b.logs.String())
	if !strings.Contains(created, "request_id=req-export-1") || !strings.Contains(created, "job_id="+id) {
		t.Errorf("the line of the export's creation lacks its request id or job id: %q", created)
	}
	testutil.Eventually(t, 30*time.Second, "the export's completion logged", func() bool {
		return strings.Contains(b.logs.String(), `msg="users_export completed"`)
	})
	done := regexp.MustCompile(`(?m)^.*msg="users_export completed".*$`).FindString(b.logs.String())
	if !strings.Contains(done, "job_id="+id) || !strings.Contains(done, "rows=0") {
		t.Errorf("the line of the export's completion lacks its job id or rows: %q", done)
	}
}
