package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/sqlite"
	"github.com/userport/userport/storetest"
)

// open opens a store on path, failing t on error.
func open(t testing.TB, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) userport.Store {
		return open(t, filepath.Join(t.TempDir(), "userport.db"))
	}, storetest.Options{UserIndexes: userIndexes})
}

func TestOpenPaths(t *testing.T) {
	tests := []string{
		filepath.Join("a", "b", "userport.db"), // missing parent directories
		"odd name ?x=1#frag %41.db",            // characters that mean something in a URI
	}
	for _, name := range tests {
		path := filepath.Join(t.TempDir(), name)
		db := open(t, path)
		if err := db.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("database file %q: %v", path, err)
		}
	}
}

func TestPragmas(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "userport.db"))
	defer db.Close()
	tests := []struct {
		pragma string
		want   string
	}{
		{"page_size", "16384"},
		{"journal_mode", "wal"},
		{"busy_timeout", "0"}, // the open's pragmas wait 5000 ms; then the busy handler (waitSignal) takes over: TestBusyIsUnavailable
		{"synchronous", "1"},  // NORMAL
		{"foreign_keys", "1"},
		{"cache_size", "-16384"},
		{"mmap_size", "0"},
	}
	for _, tt := range tests {
		var got string
		if err := db.SQL().QueryRowContext(t.Context(), "PRAGMA "+tt.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", tt.pragma, err)
		}
		if got != tt.want {
			t.Errorf("PRAGMA %s = %s, want %s", tt.pragma, got, tt.want)
		}
	}
	if got := db.SQL().Stats().MaxOpenConnections; got != 1 {
		t.Errorf("MaxOpenConnections = %d, want 1", got)
	}
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "userport.db")
	db := open(t, path)
	u := &userport.User{Tenant: "a", UserID: "auth0|1", ConnectionID: "con_1", Doc: []byte(`{"user_id":"auth0|1"}`)}
	if err := db.CreateUsers(t.Context(), u); err != nil {
		t.Fatalf("CreateUsers: %v", err)
	}
	versions := migrations(t, db.SQL())
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	db = open(t, path)
	defer db.Close()
	if got := migrations(t, db.SQL()); got != versions || got == 0 {
		t.Errorf("schema_migrations has %d rows after reopening, want %d (> 0)", got, versions)
	}
	got, err := db.FindUser(t.Context(), "a", u.UserID)
	if err != nil {
		t.Fatalf("FindUser after reopening: %v", err)
	}
	if string(got.Doc) != string(u.Doc) {
		t.Errorf("Doc = %s, want %s", got.Doc, u.Doc)
	}
}

// migrations counts the applied migrations.
func migrations(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(t.Context(), "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil {
		t.Fatalf("count migrations: %v", err)
	}
	return n
}

func TestEnqueueGetsSQLTx(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "userport.db"))
	defer db.Close()
	j := &userport.Job{Tenant: "a", ID: userport.NewJobID(), Type: userport.JobUsersExport, Status: userport.JobPending}
	err := db.CreateJob(t.Context(), j, 0, func(ctx context.Context, tx userport.Tx) error {
		sqlTx, ok := tx.(*sql.Tx)
		if !ok {
			t.Fatalf("tx is %T, want *sql.Tx", tx)
		}
		// The queue writes through the same transaction.
		_, err := sqlTx.ExecContext(ctx, "CREATE TABLE queued (id TEXT)")
		return err
	})
	if err != nil {
		t.Fatalf("CreateJob: %v", err)
	}
	var n int
	if err := db.SQL().QueryRowContext(t.Context(), "SELECT count(*) FROM queued").Scan(&n); err != nil {
		t.Errorf("the enqueue's write was not committed: %v", err)
	}
}

// TestConcurrentWriters runs read-modify-write transactions from two handles
// on one file, as two processes would: none may fail with SQLITE_BUSY and no
// update may be lost.
func TestConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "userport.db")
	a, b := open(t, path), open(t, path)
	defer a.Close()
	defer b.Close()
	j := &userport.Job{Tenant: "a", ID: userport.NewJobID(), Type: userport.JobUsersExport, Status: userport.JobPending}
	if err := a.CreateJob(t.Context(), j, 0, nil); err != nil {
		t.Fatalf("CreateJob: %v", err)
	}
	const rounds = 100
	errs := make(chan error, 2)
	for _, db := range []*sqlite.DB{a, b} {
		go func() {
			for range rounds {
				_, err := db.UpdateJob(t.Context(), "a", j.ID, func(j *userport.Job) error {
					j.PercentageDone++
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("UpdateJob: %v", err)
		}
	}
	got, err := a.FindJob(t.Context(), "a", j.ID)
	if err != nil {
		t.Fatalf("FindJob: %v", err)
	}
	if got.PercentageDone != 2*rounds {
		t.Errorf("PercentageDone = %d, want %d", got.PercentageDone, 2*rounds)
	}
}

// TestReadUsersRefusesADocumentWithoutItsUserID checks that a page whose
// last document lacks its user_id is an error, not a cursor that never moves.
func TestReadUsersRefusesADocumentWithoutItsUserID(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "bad.db"))
	defer db.Close()
	for i, doc := range []string{`{"email":"a@example.com"}`, `{"user_id":"auth0|000"}`, `{"user_id":42}`} {
		u := &userport.User{Tenant: fmt.Sprintf("t%d", i), UserID: "auth0|001", ConnectionID: "con_x", Doc: []byte(doc)}
		if err := db.CreateUsers(t.Context(), u); err != nil {
			t.Fatal(err)
		}
		var p userport.UserPage
		err := db.ReadUsers(t.Context(), userport.UserScan{Tenant: u.Tenant, After: "auth0|000", Limit: 10}, &p)
		if err == nil {
			t.Errorf("ReadUsers of %s: no error, Last %q", doc, p.Last)
		}
	}
}
