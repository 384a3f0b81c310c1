package importer_test

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/importer"
	"github.com/userport/userport/sqlite"
)

// importSizes are the file sizes BenchmarkImport measures, in users.
var (
	importSizes = flag.String("import-users", "100000", "comma-separated numbers of users BenchmarkImport imports")
	importBatch = flag.Int("import-batch", 0, "most records per transaction in BenchmarkImport (0: the default)")
	importTime  = flag.Duration("import-batch-time", 0, "the time a transaction aims at in BenchmarkImport (0: the default; 1h: batches by size alone, as before issue 10)")
	importGap   = flag.Duration("import-batch-gap", 0, "the writer left free between transactions in BenchmarkImport (0: the default; -1ns: none, as before issue 10)")
	importWrite = flag.String("import-writes", "", "BenchmarkImport: write one user every 20 ms during the import, through the same store (same) or another store on the file, as another process (other), and report the writes' latency")
	importHold  = flag.Duration("import-hold", 0, "the longest transaction of several batches in BenchmarkImport (0: the default; -1ns: one batch per transaction, as before issue 20)")
)

// BenchmarkImport imports a gzip'd NDJSON file of seeded users (what an
// export writes) into a fresh SQLite store through the importer, as the
// import worker does, and reports users imported per second.
func BenchmarkImport(b *testing.B) {
	for _, s := range strings.Split(*importSizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			b.Fatalf("-import-users: %q is not a positive number", s)
		}
		b.Run("users="+s, func(b *testing.B) { benchImport(b, n) })
	}
}

// benchImport imports n users per iteration, and reports the longest
// transaction (the writer's longest hold) and the median one.
func benchImport(b *testing.B, n int) {
	file := seedFile(b, n)
	var elapsed float64
	var txs []time.Duration
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b)
		job := e.upload(b, file, false)
		store := &timedStore{DB: e.store}
		im := &importer.Importer{Store: store, Files: e.blobs, BatchSize: *importBatch, BatchTime: *importTime, BatchGap: *importGap, HoldTime: *importHold} // commits timed on the wall clock
		w := startWrites(b, e, *importWrite)
		b.StartTimer()
		st, done, err := im.Run(context.Background(), job, 0)
		if err != nil || !done || st.Summary.Inserted != int64(n) {
			b.Fatalf("Run: %v, done %v, summary %+v", err, done, st.Summary)
		}
		b.StopTimer()
		w.stop(b)
		b.StartTimer()
		txs = append(txs, store.times...)
	}
	elapsed = b.Elapsed().Seconds()
	b.ReportMetric(float64(n*b.N)/elapsed, "users/s")
	b.ReportMetric(float64(len(file))/float64(n), "file-bytes/user")
	slices.Sort(txs)
	b.ReportMetric(float64(txs[len(txs)-1].Microseconds())/1000, "max-tx-ms")
	b.ReportMetric(float64(txs[len(txs)/2].Microseconds())/1000, "median-tx-ms")
	b.ReportMetric(float64(len(txs))/float64(b.N), "tx/op")
	var sum time.Duration
	for _, d := range txs {
		sum += d
	}
	b.ReportMetric(sum.Seconds()/elapsed, "tx-share")
}

// timedStore keeps how long each transaction (WriteImportBatch or
// WriteImportBatches) took: the time the import holds the database's one
// writer, and waits for it.
type timedStore struct {
	*sqlite.DB
	times []time.Duration
}

func (s *timedStore) WriteImportBatch(ctx context.Context, b *userport.ImportBatch) (*userport.ImportState, error) {
	start := time.Now()
	st, err := s.DB.WriteImportBatch(ctx, b)
	s.times = append(s.times, time.Since(start))
	return st, err
}

func (s *timedStore) WriteImportBatches(ctx context.Context, b *userport.ImportBatch,
	next func(context.Context, func() bool) *userport.ImportBatch) (*userport.ImportState, error) {
	start := time.Now()
	st, err := s.DB.WriteImportBatches(ctx, b, next)
	s.times = append(s.times, time.Since(start))
	return st, err
}

// writes writes one user every 20 ms while an import runs, as the API's
// POST /api/v2/users does, and keeps each write's time and error.
type writes struct {
	done  chan struct{}
	ended chan struct{}
	times []time.Duration
	errs  int
	last  error
}

// startWrites starts the writes through e's store (mode "same") or another
// store on its file (mode "other", as a second process); none for "".
func startWrites(b *testing.B, e *env, mode string) *writes {
	w := &writes{done: make(chan struct{}), ended: make(chan struct{})}
	if mode == "" {
		close(w.ended)
		return w
	}
	store := e.store
	if mode == "other" {
		var err error
		if store, err = sqlite.Open(context.Background(), e.path); err != nil {
			b.Fatal(err)
		}
	} else if mode != "same" {
		b.Fatalf("-import-writes %q: same or other", mode)
	}
	go func() {
		defer close(w.ended)
		if mode == "other" {
			defer store.Close()
		}
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-w.done:
				return
			case <-tick.C:
			}
			id := fmt.Sprintf("auth0|api%d", i)
			u := &userport.User{Tenant: "dev", UserID: id, ConnectionID: e.conn.ID, Email: fmt.Sprintf("api%d@example.org", i),
				Doc: []byte(`{"user_id":"` + id + `"}`)}
			start := time.Now()
			err := store.CreateUsers(context.Background(), u)
			w.times = append(w.times, time.Since(start))
			if err != nil {
				w.errs++
				w.last = err
			}
		}
	}()
	return w
}

// stop ends the writes and reports their count, errors and latency.
func (w *writes) stop(b *testing.B) {
	close(w.done)
	<-w.ended
	if len(w.times) == 0 {
		return
	}
	if w.errs > 0 {
		b.Logf("%d write errors, the last: %v", w.errs, w.last)
	}
	slices.Sort(w.times)
	ms := func(q float64) float64 { return float64(w.times[int(q*float64(len(w.times)-1))].Microseconds()) / 1000 }
	b.ReportMetric(float64(len(w.times)), "writes")
	b.ReportMetric(float64(w.errs), "write-errors")
	b.ReportMetric(ms(0.5), "write-p50-ms")
	b.ReportMetric(ms(0.99), "write-p99-ms")
	b.ReportMetric(ms(1), "write-max-ms")
}
