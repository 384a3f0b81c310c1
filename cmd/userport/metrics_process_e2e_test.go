//go:build unix

package main

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/userport/userport/internal/testutil"
)

// TestMetricsOfTheChildWorker runs the binary's serve with its default child
// worker and --metrics-addr: the API's address has no /metrics, the metrics
// address shows the child's job counters and runtime beside serve's own
// metrics.
func TestMetricsOfTheChildWorker(t *testing.T) {
	bin, dir, addr := binaryWithUsers(t, 50)
	metricsAddr := imFreeAddr(t)
	p := imStartServe(t, bin, dir, addr, "--metrics-addr", metricsAddr)
	c := imClient(t, addr)
	c.request(http.MethodGet, "/metrics", nil).wantStatus(t, http.StatusNotFound)
	c.exCompleted(c.exCreate(`{"format":"json"}`).ID)
	var fams string
	exPoll(t, 30*time.Second, "the child's export counted on serve's metrics address", func() bool {
		resp, err := http.Get("http://" + metricsAddr + "/metrics")
		if err != nil {
			t.Fatalf("GET /metrics: %v\n%s", err, p.logs.String())
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		fams = string(body)
		got, _ := testutil.MetricValue(testutil.ParseMetrics(t, body), "userport_export_rows_total")
		return got == 50
	})
	parsed := testutil.ParseMetrics(t, []byte(fams))
	for _, name := range []string{"userport_http_requests_total", "userport_jobs", "go_goroutines", "userport_job_duration_seconds"} {
		if parsed[name] == nil {
			t.Errorf("serve's metrics lack %s", name)
		}
	}
	if _, ok := testutil.MetricValue(parsed, "go_goroutines", "process", "worker"); !ok {
		t.Errorf("serve's metrics lack the child worker's runtime (go_goroutines{process=\"worker\"})")
	}
}
