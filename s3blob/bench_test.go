package s3blob

import (
	"context"
	"fmt"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// BenchmarkWrite streams blobs of 20 and 200 MB through Create, Write (64 KiB
// at a time, as the export pipeline's gzip output comes) and Commit. Besides
// time and allocations a blob, it reports the peak of the Go heap in use while
// writing: with two part buffers a writer, it must not grow with the blob.
//
//	USERPORT_TEST_S3_ENDPOINT=... go test ./s3blob -run '^$' -bench Write -benchtime 3x
func BenchmarkWrite(b *testing.B) {
	s, _, _ := openTest(b, Options{})
	chunk := make([]byte, 64<<10)
	for i := range chunk {
		chunk[i] = byte(i * 31)
	}
	for _, mb := range []int{20, 200} {
		b.Run(fmt.Sprintf("%dMB", mb), func(b *testing.B) {
			size := mb * 1_000_000
			b.SetBytes(int64(size))
			peak := watchHeap(b)
			b.ReportAllocs()
			for i := range b.N {
				key := fmt.Sprintf("bench/%d/%d.csv.gz", mb, i)
				w, err := s.Create(context.Background(), key)
				if err != nil {
					b.Fatal(err)
				}
				for n := 0; n < size; n += len(chunk) {
					if _, err := w.Write(chunk[:min(len(chunk), size-n)]); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Commit(); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := s.Delete(context.Background(), key); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MiB")
		})
	}
}

// watchHeap samples the bytes of heap objects in use every 5 ms until the
// benchmark ends, and returns a function that stops and returns the peak.
func watchHeap(b *testing.B) (peak func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var (
		mu   sync.Mutex
		top  uint64
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	wg.Go(func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			mu.Lock()
			top = max(top, sample[0].Value.Uint64())
			mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	stop := sync.OnceFunc(func() { close(done); wg.Wait() })
	b.Cleanup(stop)
	return func() uint64 {
		stop()
		mu.Lock()
		defer mu.Unlock()
		return top
	}
}
