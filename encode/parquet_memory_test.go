package encode_test

import (
	"io"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/encode"
	"github.com/userport/userport/internal/procstat"
	"github.com/userport/userport/seed"
)

// BenchmarkParquetMemory encodes USERPORT_BENCH_PARQUET_USERS (1,000,000)
// generated users (seed's profiles, all distinct) as a Parquet file of the
// default fields into a byte counter, and reports the peak Go heap in use
// (sampled every 10 ms) and the process's peak RSS: memory stays flat
// whatever the number of users, as row groups are bounded.
//
//	USERPORT_BENCH_PARQUET_USERS=10000000 go test ./encode/ -run XXX -bench ParquetMemory -benchtime 1x
func BenchmarkParquetMemory(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("USERPORT_BENCH_PARQUET_USERS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			b.Fatalf("USERPORT_BENCH_PARQUET_USERS=%q: want a number of users", s)
		}
	}
	conn := &userport.Connection{Tenant: "dev", ID: "con_0000000000000000", Name: "Username-Password-Authentication", Strategy: "auth0"}
	for b.Loop() {
		g := seed.New(1, "dev", conn, seed.Start)
		users := make([]*userport.User, seed.Batch)
		out := &countWriter{w: io.Discard}
		enc, err := encode.New(out, userport.FormatParquet, nil)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		_ = procstat.ResetPeakRSS(os.Getpid())
		var peakHeap atomic.Uint64
		stop := sampleHeap(&peakHeap)
		start := time.Now()
		for done := 0; done < n; done += len(users) {
			users = users[:min(len(users), n-done)]
			g.Fill(users)
			for _, u := range users {
				if err := enc.Encode(u.Doc); err != nil {
					b.Fatal(err)
				}
			}
		}
		if err := enc.Close(); err != nil {
			b.Fatal(err)
		}
		secs := time.Since(start).Seconds()
		stop()
		b.ReportMetric(float64(n)/secs, "users/s")
		b.ReportMetric(float64(peakHeap.Load())/1e6, "peak-heap-MB")
		b.ReportMetric(float64(procstat.PeakRSS(os.Getpid()))/1e6, "peak-rss-MB")
		b.ReportMetric(float64(out.n)/float64(n), "B/user")
	}
}

// sampleHeap records the largest HeapInuse seen every 10 ms until stop.
func sampleHeap(peak *atomic.Uint64) (stop func()) {
	done := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-ended }
}
