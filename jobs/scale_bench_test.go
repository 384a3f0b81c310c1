package jobs_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/userport/userport"
	"github.com/userport/userport/export"
	"github.com/userport/userport/internal/testutil/pgtest"
	"github.com/userport/userport/internal/testutil/s3test"
	"github.com/userport/userport/jobs"
	"github.com/userport/userport/postgres"
	"github.com/userport/userport/s3blob"
	"github.com/userport/userport/seed"
)

// BenchmarkSplitExportScale exports the users of one tenant in scale mode
// (PostgreSQL, S3, two job engines standing for two `userport worker`
// processes, two workers each) whole and split into 2 and 4 parts: the time
// from the job's creation to its completion (count, cut points, parts, join
// in S3). USERPORT_BENCH_SPLIT_USERS sets the users (default 200,000).
func BenchmarkSplitExportScale(b *testing.B) {
	pgtest.DatabaseURL(b)
	endpoint := s3test.S3Endpoint(b)
	ctx := context.Background()
	n := 200_000
	if v := os.Getenv("USERPORT_BENCH_SPLIT_USERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatalf("USERPORT_BENCH_SPLIT_USERS: %v", err)
		}
	}
	url, schema := pgtest.NewSchema(b)
	db, err := postgres.Open(ctx, url, postgres.Options{Schema: schema})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	blobs, err := s3blob.Open(ctx, "s3://"+s3test.NewBucket(b, s3test.S3Client(b, endpoint))+"/exports", s3blob.Options{Endpoint: endpoint})
	if err != nil {
		b.Fatal(err)
	}
	conn := &userport.Connection{Tenant: "dev", ID: "con_AAAAAAAAAAAAAAAA", Name: "Username-Password-Authentication"}
	gen := seed.New(1, "dev", conn, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	for left := n; left > 0; left -= 10_000 {
		users := make([]*userport.User, min(left, 10_000))
		gen.Fill(users)
		if err := db.CreateUsers(ctx, users...); err != nil {
			b.Fatal(err)
		}
	}
	driver := riverpgxv5.New(db.Pool())
	if err := jobs.Migrate(ctx, driver); err != nil {
		b.Fatal(err)
	}
	deps := jobs.Deps{Store: db, Blobs: blobs, Exporter: &export.Exporter{Users: db}, Clock: userport.SystemClock{},
		Logger: slog.New(slog.DiscardHandler)}
	for _, format := range []userport.Format{userport.FormatCSV, userport.FormatJSON} {
		for _, parts := range []int{1, 2, 4} {
			b.Run(fmt.Sprintf("%s/parts=%d", format, parts), func(b *testing.B) {
				cfg := jobs.Config{Workers: 2, MaxExportsPerTenant: 10, SplitParts: parts, SplitMinUsers: 1,
					PollInterval: 20 * time.Millisecond, ProgressInterval: 200 * time.Millisecond}
				var engines []*jobs.Engine[pgx.Tx]
				for range 2 {
					e, err := jobs.New(driver, deps, cfg, true)
					if err != nil {
						b.Fatal(err)
					}
					if err := e.Start(ctx); err != nil {
						b.Fatal(err)
					}
					engines = append(engines, e)
				}
				defer func() {
					for _, e := range engines {
						stop, cancel := context.WithTimeout(ctx, 10*time.Second)
						_ = e.Stop(stop)
						cancel()
					}
				}()
				var rows int64
				for b.Loop() {
					job := &userport.Job{Tenant: "dev", ID: userport.NewJobID(), Type: userport.JobUsersExport,
						Status: userport.JobPending, Format: format, CreatedAt: time.Now()}
					if err := db.CreateJob(ctx, job, 0, func(ctx context.Context, tx userport.Tx) error {
						return engines[0].EnqueueTx(ctx, tx, job)
					}); err != nil {
						b.Fatal(err)
					}
					for {
						j, err := db.FindJob(ctx, "dev", job.ID)
						if err != nil {
							b.Fatal(err)
						}
						if j.Status == userport.JobCompleted {
							rows += j.Rows
							break
						}
						if j.Status == userport.JobFailed {
							b.Fatalf("export failed: %s", j.StatusDetails)
						}
						time.Sleep(5 * time.Millisecond)
					}
				}
				if rows != int64(n)*int64(b.N) {
					b.Fatalf("%d users exported, want %d", rows, int64(n)*int64(b.N))
				}
				b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "users/s")
			})
		}
	}
}
