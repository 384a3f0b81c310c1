package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil/pgtest"
	"github.com/userport/userport/postgres"
	"github.com/userport/userport/storetest"
)

// open opens a store in a new schema, closed when t ends.
func open(t testing.TB, opts postgres.Options) *postgres.DB {
	t.Helper()
	url, schema := pgtest.NewSchema(t)
	opts.Schema = schema
	db, err := postgres.Open(t.Context(), url, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestStore(t *testing.T) {
	pgtest.DatabaseURL(t)
	storetest.Run(t, func(t *testing.T) userport.Store {
		url, schema := pgtest.NewSchema(t)
		db, err := postgres.Open(t.Context(), url, postgres.Options{Schema: schema})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return db
	}, storetest.Options{UserIndexes: userIndexes, HoldWrites: postgres.HoldWrites})
}

// TestConcurrentOpen opens a fresh schema from several processes' worth of
// pools at once: the migrations run once, under the advisory lock, and every
// Open succeeds.
func TestConcurrentOpen(t *testing.T) {
	url, schema := pgtest.NewSchema(t)
	const opens = 3
	dbs := make([]*postgres.DB, opens)
	errs := make([]error, opens)
	var wg sync.WaitGroup
	for i := range opens {
		wg.Go(func() { dbs[i], errs[i] = postgres.Open(t.Context(), url, postgres.Options{Schema: schema}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	var store, riverVersions int
	err := dbs[0].Pool().QueryRow(t.Context(), `SELECT (SELECT count(*) FROM schema_migrations),
		(SELECT count(*) FROM river_migration)`).Scan(&store, &riverVersions)
	if err != nil {
		t.Fatalf("count migrations: %v", err)
	}
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if store != len(files) || riverVersions == 0 {
		t.Errorf("migrations applied: store %d, river %d; want %d (one a file, each once) and > 0", store, riverVersions, len(files))
	}
	if err := dbs[1].Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// noWork are the args of a River job that no worker runs.
type noWork struct{}

func (noWork) Kind() string { return "storetest_no_work" }

// TestEnqueueInsertsRiverJob queues a River job with riverpgxv5's InsertTx in
// CreateJob's and CreateImportJob's transactions: it is committed with the
// job, and rolled back with it when the enqueue fails afterwards.
func TestEnqueueInsertsRiverJob(t *testing.T) {
	db := open(t, postgres.Options{})
	client, err := river.NewClient(riverpgxv5.New(db.Pool()), &river.Config{})
	if err != nil {
		t.Fatalf("river client: %v", err)
	}
	later := errors.New("failed after the insert")
	enqueue := func(fail bool) func(ctx context.Context, tx userport.Tx) error {
		return func(ctx context.Context, tx userport.Tx) error {
			ptx, ok := tx.(pgx.Tx)
			if !ok {
				t.Fatalf("tx is %T, want pgx.Tx", tx)
			}
			if _, err := client.InsertTx(ctx, ptx, noWork{}, nil); err != nil {
				return err
			}
			if fail {
				return later
			}
			return nil
		}
	}
	newJob := func() *userport.Job {
		return &userport.Job{Tenant: "a", ID: userport.NewJobID(), Type: userport.JobUsersImport, Status: userport.JobPending}
	}
	tests := []struct {
		name   string
		create func(j *userport.Job, fail bool) error
	}{
		{"CreateJob", func(j *userport.Job, fail bool) error { return db.CreateJob(t.Context(), j, 0, enqueue(fail)) }},
		{"CreateImportJob", func(j *userport.Job, fail bool) error {
			return db.CreateImportJob(t.Context(), j, 10, 5, enqueue(fail))
		}},
	}
	queued := 0
	for _, tt := range tests {
		if err := tt.create(newJob(), true); !errors.Is(err, later) {
			t.Errorf("%s with a failing enqueue: %v, want its error", tt.name, err)
		}
		if got := riverJobs(t, db); got != queued {
			t.Errorf("%s with a failing enqueue: %d River jobs, want %d", tt.name, got, queued)
		}
		j := newJob()
		if err := tt.create(j, false); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		queued++
		if got := riverJobs(t, db); got != queued {
			t.Errorf("%s: %d River jobs, want %d", tt.name, got, queued)
		}
		if _, err := db.FindJob(t.Context(), "a", j.ID); err != nil {
			t.Errorf("%s: FindJob: %v", tt.name, err)
		}
	}
}

// riverJobs counts the rows of river_job.
func riverJobs(t *testing.T, db *postgres.DB) int {
	t.Helper()
	var n int
	if err := db.Pool().QueryRow(t.Context(), `SELECT count(*) FROM river_job`).Scan(&n); err != nil {
		t.Fatalf("count river_job: %v", err)
	}
	return n
}

// TestUnavailable checks that a database that cannot be reached, that ends
// a connection (57P01 admin_shutdown), or whose pool stays exhausted is
// EUNAVAILABLE.
func TestUnavailable(t *testing.T) {
	url := pgtest.DatabaseURL(t)
	t.Run("no server", func(t *testing.T) {
		_, err := postgres.Open(t.Context(), "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", postgres.Options{})
		wantUnavailable(t, err)
	})
	t.Run("admin shutdown", func(t *testing.T) {
		db := open(t, postgres.Options{MaxConns: 1})
		var pid int
		if err := db.Pool().QueryRow(t.Context(), `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
			t.Fatal(err)
		}
		pgtest.Exec(t, url, fmt.Sprintf(`SELECT pg_terminate_backend(%d)`, pid))
		_, err := db.FindUser(t.Context(), "a", "auth0|1")
		wantUnavailable(t, err)
	})
	t.Run("pool exhausted", func(t *testing.T) {
		db := open(t, postgres.Options{MaxConns: 1, AcquireTimeout: 50 * time.Millisecond})
		c, err := db.Pool().Acquire(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Release()
		_, err = db.FindUser(t.Context(), "a", "auth0|1")
		wantUnavailable(t, err)
	})
}

// wantUnavailable fails t unless err is EUNAVAILABLE.
func wantUnavailable(t *testing.T, err error) {
	t.Helper()
	if got := userport.ErrorCode(err); got != userport.EUNAVAILABLE {
		t.Errorf("error code = %q (%v), want %q", got, err, userport.EUNAVAILABLE)
	}
}

// TestReadUsersAllocatesNothingPerRow reads pages of 10 and of 1,000 users
// into a reused page: the documents are copied from the driver's buffer, so
// the larger page costs about the same allocations.
func TestReadUsersAllocatesNothingPerRow(t *testing.T) {
	db := open(t, postgres.Options{})
	var users []*userport.User
	for i := range 1000 {
		id := fmt.Sprintf("auth0|%05d", i)
		users = append(users, &userport.User{Tenant: "a", UserID: id, ConnectionID: "con_1",
			Doc: []byte(`{"user_id":"` + id + `","email":"x@example.com"}`)})
	}
	if err := db.CreateUsers(t.Context(), users...); err != nil {
		t.Fatal(err)
	}
	var p userport.UserPage
	allocs := func(limit int) float64 {
		return testing.AllocsPerRun(20, func() {
			if err := db.ReadUsers(t.Context(), userport.UserScan{Tenant: "a", Limit: limit}, &p); err != nil || p.Len() != limit {
				t.Fatalf("ReadUsers: %d documents, %v; want %d", p.Len(), err, limit)
			}
		})
	}
	small, large := allocs(10), allocs(1000)
	t.Logf("allocations per page: %v for 10 users, %v for 1,000", small, large)
	if large-small > 20 {
		t.Errorf("allocations per page: %v for 10 users, %v for 1,000; want about the same", small, large)
	}
	if string(p.Doc(999)) != string(users[999].Doc) || p.Last != users[999].UserID {
		t.Errorf("last document %s, Last %q; want %s, %q", p.Doc(999), p.Last, users[999].Doc, users[999].UserID)
	}
}
