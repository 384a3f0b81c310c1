package importer_test

import (
	"context"
	"flag"
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
		b.StartTimer()
		st, done, err := im.Run(context.Background(), job, 0)
		if err != nil || !done || st.Summary.Inserted != int64(n) {
			b.Fatalf("Run: %v, done %v, summary %+v", err, done, st.Summary)
		}
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
