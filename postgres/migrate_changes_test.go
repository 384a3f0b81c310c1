package postgres

import (
	"strconv"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/migrations"
)

// TestMigrateChangesKeepsUsers migrates a schema that the migrations before
// change tracking made and that holds users: they get a mark (the
// migration's transaction id), and their later updates and deletes are
// tracked.
func TestMigrateChangesKeepsUsers(t *testing.T) {
	ctx := t.Context()
	conn, url, schema := schemaConn(t)
	execAll(t, conn, `CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`)
	all, err := migrations.Load(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range all {
		if m.Version < 9 {
			if err := apply(ctx, conn, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	execAll(t, conn, `INSERT INTO users (tenant, user_id, connection_id, doc) VALUES
		('t0', 'auth0|1', 'con_1', '{"user_id":"auth0|1"}'), ('t0', 'auth0|2', 'con_1', '{"user_id":"auth0|2"}'),
		('t0', 'auth0|3', 'con_1', '{"user_id":"auth0|3"}')`)

	db, err := Open(ctx, url, Options{Schema: schema})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	w, err := db.Watermark(ctx, "t0")
	if err != nil {
		t.Fatal(err)
	}
	var p userport.UserPage
	if err := db.ReadChanges(ctx, userport.ChangeScan{Tenant: "t0", Until: w.High, Limit: 10}, &p); err != nil {
		t.Fatal(err)
	}
	if p.Len() != 3 || p.LastKey == "0" || p.LastKey == "" {
		t.Errorf("changes since 0: %d users, last mark %q; want the 3 stored users, marked", p.Len(), p.LastKey)
	}
	// A transaction of another test may hold the watermark back a while.
	migrated, _ := strconv.ParseUint(p.LastKey, 10, 64)
	for deadline := time.Now().Add(30 * time.Second); w.Low <= migrated && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		if w, err = db.Watermark(ctx, "t0"); err != nil {
			t.Fatal(err)
		}
	}
	u, err := db.FindUser(ctx, "t0", "auth0|1")
	if err != nil {
		t.Fatal(err)
	}
	u.Doc = []byte(`{"user_id":"auth0|1","given_name":"Updated"}`)
	if err := db.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteUser(ctx, "t0", "auth0|2"); err != nil {
		t.Fatal(err)
	}
	now, err := db.Watermark(ctx, "t0")
	if err != nil {
		t.Fatal(err)
	}
	s := userport.ChangeScan{Tenant: "t0", Since: w.Low, Until: now.High, Limit: 10}
	if err := db.ReadChanges(ctx, s, &p); err != nil {
		t.Fatal(err)
	}
	if p.Len() != 1 || p.Last != "auth0|1" {
		t.Errorf("changes since the migration: %d users, last %q; want auth0|1", p.Len(), p.Last)
	}
	var tp userport.TombstonePage
	if err := db.ReadTombstones(ctx, s, &tp); err != nil {
		t.Fatal(err)
	}
	if len(tp.Tombstones) != 1 || tp.Last != "auth0|2" || tp.Tombstones[0].ConnectionID != "con_1" {
		t.Errorf("tombstones since the migration = %+v, want auth0|2 of con_1", tp)
	}
}
