package exporttest_test

import (
	"io"
	"os"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/export"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/sqlite"
)

// benchDBEnv names a seeded SQLite file for the benchmarks, e.g. the
// userport.db of `userport seed --users 300000 --data-dir DIR`.
const benchDBEnv = "USERPORT_BENCH_SQLITE"

// BenchmarkFilteredExportSQLite runs whole exports (NDJSON, every root
// attribute; and CSV of five fields) of the users of the file
// $USERPORT_BENCH_SQLITE: the full export, filtered exports without an index
// plan (every user read and matched; one filter keeps 98 % of the users, one
// 63 %), and filtered exports an index serves (an hour of created_at; one
// email). users/s counts the tenant's users, read or not, per second: the
// A/B figure of a filter against the full export; users/cpu-s the same per
// second of the process's CPU time (user and system, every thread), the
// steadier figure on a busy machine; reads/op the users read.
func BenchmarkFilteredExportSQLite(b *testing.B) {
	path := os.Getenv(benchDBEnv)
	if path == "" {
		b.Skip(benchDBEnv + " is unset: set it to a seeded userport.db (userport seed --users 300000)")
	}
	db, err := sqlite.Open(b.Context(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	total, err := db.CountUsers(b.Context(), userport.DefaultTenant, "")
	if err != nil {
		b.Fatal(err)
	}
	var page userport.UserPage
	if err := db.ScanUserKeys(b.Context(), userport.UserKeyScan{Tenant: userport.DefaultTenant, Key: userport.KeyEmail,
		From: "m", Limit: 1}, &page); err != nil || page.Len() == 0 {
		b.Fatalf("find a user: %v", err)
	}
	csv5 := []userport.Field{{Name: "user_id"}, {Name: "email"}, {Name: "name"},
		{Name: "identities[0].connection"}, {Name: "user_metadata.consent.given"}}
	for _, bc := range []struct{ name, q string }{
		{"full", ""},
		{"unindexed_most", `NOT blocked:true`},
		{"unindexed_plan", `app_metadata.plan:free`},
		{"indexed_created_at_hour", `created_at:[2020-01-02T10:00 TO 2020-01-02T10:59]`},
		{"indexed_email", `email:"` + page.LastKey + `"`},
	} {
		for _, f := range []struct {
			name   string
			format userport.Format
			fields []userport.Field
		}{{"ndjson", userport.FormatJSON, nil}, {"csv5", userport.FormatCSV, csv5}} {
			b.Run(bc.name+"/"+f.name, func(b *testing.B) {
				job := &userport.Job{Tenant: userport.DefaultTenant, Format: f.format, Fields: f.fields, Query: bc.q}
				cs := &countingStore{Store: db}
				e := &export.Exporter{Users: cs}
				var rows int64
				cpu := testutil.CPUTime(b)
				for b.Loop() {
					res, err := e.Export(b.Context(), job, io.Discard, nil)
					if err != nil {
						b.Fatal(err)
					}
					rows += res.Rows
				}
				b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds(), "users/s")
				b.ReportMetric(float64(total)*float64(b.N)/(testutil.CPUTime(b)-cpu).Seconds(), "users/cpu-s")
				b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
				b.ReportMetric(float64(cs.read)/float64(b.N), "reads/op")
			})
		}
	}
}
