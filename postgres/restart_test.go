package postgres_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil/pgtest"
	"github.com/userport/userport/postgres"
)

// storeCall is one method of the store, called with arguments that would
// succeed on a running database.
type storeCall struct {
	name string
	fn   func(ctx context.Context) error
}

// storeCalls returns a call of every method of userport.Store that uses the
// database, and of the bulk load (userport.UserLoader), over the data
// restartFixture wrote.
func storeCalls(db *postgres.DB, f *restartFixture) []storeCall {
	ctx0 := func(fn func(ctx context.Context) error) func(ctx context.Context) error { return fn }
	now, conn, u, job := f.now, f.conn, f.user, f.job
	other := *job
	other.ID = "job_BBBBBBBBBBBBBBBB"
	return append([]storeCall{
		{"Ping", ctx0(db.Ping)},
		{"CreateUsers", func(ctx context.Context) error {
			return db.CreateUsers(ctx, &userport.User{Tenant: "a", UserID: "auth0|2", ConnectionID: conn.ID, Doc: []byte(`{}`)})
		}},
		{"LoadUsers", func(ctx context.Context) error {
			batch := []*userport.User{{Tenant: "a", UserID: "auth0|3", ConnectionID: conn.ID, Doc: []byte(`{}`)}}
			return db.LoadUsers(ctx, 1, slices.Values([][]*userport.User{batch}))
		}},
		{"FindUser", func(ctx context.Context) error { _, err := db.FindUser(ctx, "a", u.UserID); return err }},
		{"ListUsers", func(ctx context.Context) error {
			_, err := db.ListUsers(ctx, userport.UserFilter{Tenant: "a", Limit: 10})
			return err
		}},
		{"CountUsers", func(ctx context.Context) error { _, err := db.CountUsers(ctx, "a", ""); return err }},
		{"AnalyzeUsers", func(ctx context.Context) error { return db.AnalyzeUsers(ctx, false) }},
		{"AnalyzeUsers with vacuum", func(ctx context.Context) error { return db.AnalyzeUsers(ctx, true) }},
		{"UpdateUser", func(ctx context.Context) error { return db.UpdateUser(ctx, u) }},
		{"DeleteUser", func(ctx context.Context) error { return db.DeleteUser(ctx, "a", u.UserID) }},
		{"ReadUsers", func(ctx context.Context) error {
			var p userport.UserPage
			return db.ReadUsers(ctx, userport.UserScan{Tenant: "a", Limit: 10}, &p)
		}},
		{"CreateConnection", func(ctx context.Context) error {
			return db.CreateConnection(ctx, &userport.Connection{Tenant: "b", ID: "con_BBBBBBBBBBBBBBBB", Name: "Other", Strategy: "auth0", CreatedAt: now})
		}},
		{"FindConnection", func(ctx context.Context) error { _, err := db.FindConnection(ctx, "a", conn.ID); return err }},
		{"FindConnectionByName", func(ctx context.Context) error {
			_, err := db.FindConnectionByName(ctx, "a", conn.Name)
			return err
		}},
		{"ListConnections", func(ctx context.Context) error {
			_, _, err := db.ListConnections(ctx, userport.ConnectionFilter{Tenant: "a", Limit: 10})
			return err
		}},
		{"PutClient", func(ctx context.Context) error {
			return db.PutClient(ctx, &userport.Client{Tenant: "a", ID: "c", Name: "c", CreatedAt: now})
		}},
		{"FindClient", func(ctx context.Context) error { _, err := db.FindClient(ctx, "a", "c"); return err }},
		{"CountClients", func(ctx context.Context) error { _, err := db.CountClients(ctx, "a"); return err }},
		{"CreateJob", func(ctx context.Context) error { return db.CreateJob(ctx, &other, 0, nil) }},
		{"FindJob", func(ctx context.Context) error { _, err := db.FindJob(ctx, "a", job.ID); return err }},
		{"UpdateJob", func(ctx context.Context) error {
			_, err := db.UpdateJob(ctx, "a", job.ID, func(*userport.Job) error { return nil })
			return err
		}},
		{"StartJob", func(ctx context.Context) error { _, err := db.StartJob(ctx, "a", job.ID, 1, now); return err }},
		{"ListJobs", func(ctx context.Context) error {
			_, err := db.ListJobs(ctx, userport.JobFilter{Tenant: "a"})
			return err
		}},
		{"CountJobs", func(ctx context.Context) error {
			_, err := db.CountJobs(ctx, userport.JobFilter{Tenant: "a"})
			return err
		}},
		{"JobCounts", func(ctx context.Context) error { _, err := db.JobCounts(ctx); return err }},
		{"DeleteJob", func(ctx context.Context) error { return db.DeleteJob(ctx, "a", job.ID) }},
		{"SampleUsers", func(ctx context.Context) error { _, err := db.SampleUsers(ctx, "a", "", 10); return err }},
		{"CreateExportParts", func(ctx context.Context) error {
			return db.CreateExportParts(ctx, []*userport.ExportPart{{Tenant: "a", JobID: job.ID, Status: userport.JobPending}})
		}},
		{"ListExportParts", func(ctx context.Context) error { _, err := db.ListExportParts(ctx, "a", job.ID); return err }},
		{"UpdateExportPart", func(ctx context.Context) error {
			_, err := db.UpdateExportPart(ctx, "a", job.ID, 0, func(*userport.ExportPart) error { return nil })
			return err
		}},
		{"CreateImportJob", func(ctx context.Context) error { return db.CreateImportJob(ctx, &other, 10, 0, nil) }},
		{"FindImportState", func(ctx context.Context) error { _, err := db.FindImportState(ctx, "a", job.ID); return err }},
		{"WriteImportBatch", func(ctx context.Context) error {
			_, err := db.WriteImportBatch(ctx, &userport.ImportBatch{Tenant: "a", JobID: job.ID, ConnectionID: conn.ID, To: 1})
			return err
		}},
		{"ListImportErrors", func(ctx context.Context) error {
			_, err := db.ListImportErrors(ctx, "a", job.ID, 0, 10)
			return err
		}},
		{"FindCustomPasswordHash", func(ctx context.Context) error {
			_, err := db.FindCustomPasswordHash(ctx, "a", u.UserID)
			return err
		}},
		{"FindUsersByEmail", func(ctx context.Context) error {
			_, err := db.FindUsersByEmail(ctx, "a", "a@example.com")
			return err
		}},
		{"UpdateConnection", func(ctx context.Context) error { return db.UpdateConnection(ctx, conn) }},
		{"DeleteConnection", func(ctx context.Context) error { return db.DeleteConnection(ctx, "a", conn.ID, now) }},
		{"ListDeletedConnections", func(ctx context.Context) error { _, err := db.ListDeletedConnections(ctx); return err }},
		{"PurgeConnection", func(ctx context.Context) error { _, err := db.PurgeConnection(ctx, "a", conn.ID, 10); return err }},
		{"ScanUserKeys", func(ctx context.Context) error {
			var p userport.UserPage
			return db.ScanUserKeys(ctx, userport.UserKeyScan{Tenant: "a", Key: userport.KeyEmail, From: "a", Limit: 10}, &p)
		}},
		{"AddSecret", func(ctx context.Context) error {
			return db.AddSecret(ctx, &userport.Secret{Name: "restart-test", Sealed: []byte("x"), CreatedAt: now})
		}},
		{"ListSecrets", func(ctx context.Context) error { _, err := db.ListSecrets(ctx); return err }},
		{"UpdateSecret", func(ctx context.Context) error {
			return db.UpdateSecret(ctx, &userport.Secret{Name: "restart-test", Sealed: []byte("y")})
		}},
		{"DeleteSecret", func(ctx context.Context) error { return db.DeleteSecret(ctx, "restart-test") }},
		{"Watermark", func(ctx context.Context) error { _, err := db.Watermark(ctx, "t0"); return err }},
		{"ReadChanges", func(ctx context.Context) error {
			var p userport.UserPage
			return db.ReadChanges(ctx, userport.ChangeScan{Tenant: "a", Until: 1 << 40, Limit: 10}, &p)
		}},
		{"ReadTombstones", func(ctx context.Context) error {
			var p userport.TombstonePage
			return db.ReadTombstones(ctx, userport.ChangeScan{Tenant: "a", Until: 1 << 40, Limit: 10}, &p)
		}},
		{"PurgeTombstones", func(ctx context.Context) error { _, err := db.PurgeTombstones(ctx, now); return err }},
		{"TombstoneHorizon", func(ctx context.Context) error { _, err := db.TombstoneHorizon(ctx, "a"); return err }},
		{"UpdateJobThen", func(ctx context.Context) error {
			_, err := db.UpdateJobThen(ctx, "a", job.ID, func(*userport.Job) error { return nil }, nil)
			return err
		}},
	}, webhookCalls(db, now)...)
}

// webhookCalls are the calls of the WebhookStore methods.
func webhookCalls(db *postgres.DB, now time.Time) []storeCall {
	w := &userport.Webhook{Tenant: "a", ID: "whk_AAAAAAAAAAAAAAAA", URL: "https://example.com", Sealed: []byte("x"), CreatedAt: now}
	d := &userport.WebhookDelivery{Tenant: "a", WebhookID: w.ID, EventID: "msg_1", EventType: userport.EventJobCompleted,
		JobID: "job_1", Payload: []byte("{}"), Status: userport.DeliveryPending, CreatedAt: now}
	same := func(*userport.WebhookDelivery) error { return nil }
	return []storeCall{
		{"CreateWebhook", func(ctx context.Context) error { return db.CreateWebhook(ctx, w) }},
		{"FindWebhook", func(ctx context.Context) error { _, err := db.FindWebhook(ctx, "a", w.ID); return err }},
		{"ListWebhooks", func(ctx context.Context) error { _, err := db.ListWebhooks(ctx, "a"); return err }},
		{"UpdateWebhook", func(ctx context.Context) error {
			_, err := db.UpdateWebhook(ctx, "a", w.ID, func(*userport.Webhook) error { return nil })
			return err
		}},
		{"CreateDeliveries", func(ctx context.Context) error { return db.CreateDeliveries(ctx, []*userport.WebhookDelivery{d}, nil) }},
		{"FindDelivery", func(ctx context.Context) error { _, err := db.FindDelivery(ctx, "a", w.ID, d.EventID); return err }},
		{"UpdateDelivery", func(ctx context.Context) error {
			_, err := db.UpdateDelivery(ctx, "a", w.ID, d.EventID, same)
			return err
		}},
		{"ListDeliveries", func(ctx context.Context) error { _, err := db.ListDeliveries(ctx, "a", w.ID, 10); return err }},
		{"PurgeDeliveries", func(ctx context.Context) error { _, err := db.PurgeDeliveries(ctx, now, 10); return err }},
		{"DeleteWebhook", func(ctx context.Context) error { return db.DeleteWebhook(ctx, "a", w.ID) }},
	}
}

// restartFixture is what the restart test writes before it stops the server.
type restartFixture struct {
	now  time.Time
	conn *userport.Connection
	user *userport.User
	job  *userport.Job
}

// TestServerGoneIsUnavailable stops a PostgreSQL server of the test's own
// under an open store (the pool's connections are ended with 57P01
// admin_shutdown, then new ones are refused): every method of the store
// fails at once with EUNAVAILABLE, the driver's error still in the chain,
// never an internal error and never a hang; once the server runs again,
// the same store works again.
func TestServerGoneIsUnavailable(t *testing.T) {
	srv := pgtest.StartServer(t)
	ctx := t.Context()
	db, err := postgres.Open(ctx, srv.URL, postgres.Options{MaxConns: 4, AcquireTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &restartFixture{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	f.conn = &userport.Connection{Tenant: "a", ID: "con_AAAAAAAAAAAAAAAA", Name: "Users", Strategy: "auth0", CreatedAt: f.now}
	f.user = &userport.User{Tenant: "a", UserID: "auth0|1", ConnectionID: f.conn.ID, Email: "a@example.com", Doc: []byte(`{"user_id":"auth0|1"}`)}
	f.job = &userport.Job{Tenant: "a", ID: "job_AAAAAAAAAAAAAAAA", Type: userport.JobUsersImport, Status: userport.JobPending,
		ConnectionID: f.conn.ID, CreatedAt: f.now}
	must(t, db.CreateConnection(ctx, f.conn))
	must(t, db.CreateUsers(ctx, f.user))
	must(t, db.CreateImportJob(ctx, f.job, 10, 0, nil))
	calls := storeCalls(db, f)
	checkEveryMethod(t, calls)

	// Fill the pool with connections that the stop will end.
	warm := make([]func(), 0, 4)
	for range 4 {
		c, err := db.Pool().Acquire(ctx)
		must(t, err)
		warm = append(warm, c.Release)
	}
	for _, release := range warm {
		release()
	}
	srv.Stop()
	for round, what := range []string{"connections ended by the shutdown", "connections refused"} {
		for _, c := range calls {
			cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			start := time.Now()
			err := c.fn(cctx)
			cancel()
			if userport.ErrorCode(err) != userport.EUNAVAILABLE {
				t.Errorf("round %d (%s): %s = %v, want EUNAVAILABLE", round+1, what, c.name, err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("round %d: %s took %v to fail", round+1, c.name, d)
			}
		}
	}
	srv.Start()
	if _, err := db.FindUser(ctx, "a", f.user.UserID); err != nil {
		t.Errorf("FindUser after the server came back: %v", err)
	}
}

// checkEveryMethod fails t unless calls has one call of each method of
// userport.Store but Close, and of userport.UserLoader: a method added later
// must be added here too.
func checkEveryMethod(t *testing.T, calls []storeCall) {
	t.Helper()
	for _, st := range []reflect.Type{reflect.TypeFor[userport.Store](), reflect.TypeFor[userport.UserLoader]()} {
		for i := range st.NumMethod() {
			name := st.Method(i).Name
			if name != "Close" && !slices.ContainsFunc(calls, func(c storeCall) bool { return c.name == name }) {
				t.Errorf("store method %s is not called by the restart test", name)
			}
		}
	}
}

// must fails t on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
