package exporttest_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/userport/userport"
	"github.com/userport/userport/export"
	"github.com/userport/userport/postgres"
	"github.com/userport/userport/seed"
	"github.com/userport/userport/sqlite"
)

// The seeded stores of BenchmarkIncrementalExport, each a space-separated
// list (a seeded tenant of each size, e.g. 100,000 and 1,000,000 users):
// SQLite files (the userport.db of `userport seed --users N --data-dir DIR`)
// and PostgreSQL database URLs (`userport seed --users N --database-url URL`;
// one database per tenant size, not the shared test database).
const (
	incrSQLiteEnv   = "USERPORT_BENCH_INCR_SQLITE"
	incrPostgresEnv = "USERPORT_BENCH_INCR_POSTGRES"
)

// incrChanges is the changes between two incremental exports: updates,
// deletes and creates, 1,000 users in all.
const (
	incrUpdates = 800
	incrDeletes = 100
	incrCreates = 100
)

// BenchmarkIncrementalExport measures the claim that an incremental
// export after 1,000 changes finishes in under a second whatever the tenant
// holds: per op, outside the timer, it takes a watermark, changes 1,000
// users of the seeded tenant (800 updates of the nickname, 100 deletes,
// 100 creates) and takes the export's watermark; then, timed, the real
// Exporter writes the incremental NDJSON file of the changes (gzip, to
// io.Discard). ns/op is the export end to end; users/op its lines (users
// and tombstones), which must be the 1,000 changes (900 users, 100
// tombstones; more on PostgreSQL when another session holds the xmin back).
// Run each store at two tenant sizes: ns/op of 1M over 100k near 1 shows the
// cost follows the changes, not the tenant. It skips unless
// $USERPORT_BENCH_INCR_SQLITE or $USERPORT_BENCH_INCR_POSTGRES names seeded
// stores, so `go test ./...` never seeds a million users.
func BenchmarkIncrementalExport(b *testing.B) {
	sqlitePaths, pgURLs := strings.Fields(os.Getenv(incrSQLiteEnv)), strings.Fields(os.Getenv(incrPostgresEnv))
	if len(sqlitePaths) == 0 && len(pgURLs) == 0 {
		b.Skip(incrSQLiteEnv + " and " + incrPostgresEnv + " are unset: set them to seeded stores " +
			"(userport seed --users 1000000 --data-dir DIR: DIR/userport.db; --database-url URL)")
	}
	ctx := context.Background()
	run := func(kind string, st userport.Store) {
		total, err := st.CountUsers(ctx, userport.DefaultTenant, "")
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%s/users=%d", kind, total), func(b *testing.B) {
			benchIncremental(b, st)
		})
	}
	for _, path := range sqlitePaths {
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		run("sqlite", db)
		db.Close()
	}
	for _, url := range pgURLs {
		db, err := postgres.Open(ctx, url, postgres.Options{})
		if err != nil {
			b.Fatal(err)
		}
		run("postgres", db)
		db.Close()
	}
}

// benchIncremental runs the benchmark's ops on one seeded store.
func benchIncremental(b *testing.B, st userport.Store) {
	ctx := context.Background()
	conn, err := st.FindConnectionByName(ctx, userport.DefaultTenant, userport.DefaultConnectionName)
	if err != nil {
		b.Fatal(err)
	}
	// New users get a fresh generator tag per run (and so fresh ids, e-mail
	// addresses and usernames); the users changed are the next ones after
	// a random user_id prefix, so that runs do not change the same users.
	now := time.Now()
	g := seed.New(now.UnixNano(), userport.DefaultTenant, conn, now)
	after := fmt.Sprintf("auth0|%08x", uint32(now.UnixNano()))
	e := &export.Exporter{Users: st}
	var lines, changes int64
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		since, err := st.Watermark(ctx, userport.DefaultTenant)
		if err != nil {
			b.Fatal(err)
		}
		after = changeUsers(b, st, g, after, now)
		mark, err := st.Watermark(ctx, userport.DefaultTenant)
		if err != nil {
			b.Fatal(err)
		}
		job := &userport.Job{Tenant: userport.DefaultTenant, Format: userport.FormatJSON,
			ChangesSince: "cursor", Since: since.Low, Mark: mark}
		b.StartTimer()
		res, err := e.Export(ctx, job, io.Discard, nil)
		if err != nil {
			b.Fatal(err)
		}
		lines += res.Rows + res.Tombstones
		changes += incrUpdates + incrDeletes + incrCreates
	}
	b.ReportMetric(float64(lines)/float64(b.N), "users/op")
	if lines < changes {
		b.Fatalf("%d lines for %d changes", lines, changes)
	}
}

// changeUsers updates and deletes the users that follow the user_id after
// (wrapping around at the end), creates incrCreates users, and returns the
// last user_id it read.
func changeUsers(b *testing.B, st userport.Store, g *seed.Generator, after string, now time.Time) string {
	ctx := context.Background()
	var page userport.UserPage
	scan := userport.UserScan{Tenant: userport.DefaultTenant, After: after, Limit: incrUpdates + incrDeletes}
	if err := st.ReadUsers(ctx, scan, &page); err != nil {
		b.Fatal(err)
	}
	if page.Len() < scan.Limit {
		scan.After = ""
		if err := st.ReadUsers(ctx, scan, &page); err != nil {
			b.Fatal(err)
		}
	}
	if page.Len() < scan.Limit {
		b.Fatalf("the tenant holds fewer than %d users", scan.Limit)
	}
	for i := range page.Len() {
		id := gjson.GetBytes(page.Doc(i), "user_id").Str
		if i >= incrUpdates {
			if err := st.DeleteUser(ctx, userport.DefaultTenant, id); err != nil {
				b.Fatal(err)
			}
			continue
		}
		u, err := st.FindUser(ctx, userport.DefaultTenant, id)
		if err != nil {
			b.Fatal(err)
		}
		v, _ := userport.EncodeValue(fmt.Sprintf("bench %d", now.UnixNano()))
		if err := u.Edit(time.Now(), userport.Member{Key: "nickname", Value: v}); err != nil {
			b.Fatal(err)
		}
		if err := st.UpdateUser(ctx, u); err != nil {
			b.Fatal(err)
		}
	}
	created := make([]*userport.User, incrCreates)
	g.Fill(created)
	if err := st.CreateUsers(ctx, created...); err != nil {
		b.Fatal(err)
	}
	return page.Last
}
