package jobs_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/jobs"
	"github.com/userport/userport/webhooks"
)

// BenchmarkWebhookLatency measures how soon a job's webhook arrives after
// the job ended (its end committed, as Deps.Observe sees it), over 100
// exports run by the workers of one process on SQLite, and reports the
// median and the 99th percentile of the 100 (ms). The issue asks p99 <= 1 s.
//
//	go test ./jobs/ -run '^$' -bench WebhookLatency -benchtime 3x
func BenchmarkWebhookLatency(b *testing.B) {
	const jobsPerRun = 100
	var p50s, p99s []float64
	for range b.N {
		p50, p99 := webhookLatencyRun(b, jobsPerRun)
		p50s, p99s = append(p50s, p50), append(p99s, p99)
	}
	slices.Sort(p50s)
	slices.Sort(p99s)
	b.ReportMetric(p50s[len(p50s)/2], "p50-ms")
	b.ReportMetric(p99s[len(p99s)/2], "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// webhookLatencyRun runs n exports and returns the median and the 99th
// percentile of their end-to-webhook latencies, in milliseconds.
func webhookLatencyRun(b *testing.B, n int) (p50, p99 float64) {
	var mu sync.Mutex
	ended, arrived := map[string]time.Time{}, map[string]time.Time{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrived[r.Header.Get("webhook-id")] = time.Now()
		mu.Unlock()
	}))
	defer srv.Close()
	sealer := webhooks.NewSealer([]byte("bench"))
	guard := &webhooks.Guard{AllowHTTP: true, AllowPrivate: true}
	e := setupWith(b, 10, jobs.Config{}, nil, func(d *jobs.Deps) {
		d.Webhooks = &jobs.Webhooks{Client: webhooks.NewClient(guard, webhooks.ClientOptions{}), Sealer: sealer}
		d.Observe = func(_ context.Context, before userport.JobStatus, after *userport.Job) {
			if ev, ok := userport.JobEvent(before, after); ok {
				mu.Lock()
				ended[userport.EventID(after.Tenant, after.ID, ev)] = time.Now()
				mu.Unlock()
			}
		}
	})
	register(b, e, sealer, srv.URL)
	for range n {
		e.enqueue(b, &userport.Job{})
	}
	testutil.WaitFor(b, 2*time.Minute, "every webhook", func() (string, bool) {
		mu.Lock()
		defer mu.Unlock()
		return "", len(arrived) == n
	})
	mu.Lock()
	defer mu.Unlock()
	var ms []float64
	for id, at := range arrived {
		ms = append(ms, float64(at.Sub(ended[id]).Microseconds())/1000)
	}
	slices.Sort(ms)
	return ms[len(ms)/2], ms[(len(ms)*99+99)/100-1]
}
