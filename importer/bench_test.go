package importer_test

import (
	"context"
	"flag"
	"strconv"
	"strings"
	"testing"
)

// importSizes are the file sizes BenchmarkImport measures, in users.
var (
	importSizes = flag.String("import-users", "100000", "comma-separated numbers of users BenchmarkImport imports")
	importBatch = flag.Int("import-batch", 0, "records per transaction in BenchmarkImport (0: the default)")
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

// benchImport imports n users per iteration.
func benchImport(b *testing.B, n int) {
	file := seedFile(b, n)
	var elapsed float64
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b)
		job := e.upload(b, file, false)
		im := e.importer(*importBatch)
		b.StartTimer()
		st, done, err := im.Run(context.Background(), job, 0)
		if err != nil || !done || st.Summary.Inserted != int64(n) {
			b.Fatalf("Run: %v, done %v, summary %+v", err, done, st.Summary)
		}
	}
	elapsed = b.Elapsed().Seconds()
	b.ReportMetric(float64(n*b.N)/elapsed, "users/s")
	b.ReportMetric(float64(len(file))/float64(n), "file-bytes/user")
}
