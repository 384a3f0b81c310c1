package sqlite_test

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
)

// oldFile extracts testdata/datadir-0003.tar.gz of cmd/userport (written by
// userport on modernc.org/sqlite: `serve` started and stopped, then `seed
// --users 3`, at migration 3) into a new directory, and returns the path of
// its userport.db.
func oldFile(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	testutil.Untar(t, filepath.Join("..", "cmd", "userport", "testdata", "datadir-0003.tar.gz"), dir)
	return filepath.Join(dir, "userport.db")
}

// TestOldFile opens a file that the previous SQLite library wrote: the
// pragmas and the later migrations apply, the export scan (SQLite's own API)
// and database/sql read its users, and new users are written beside them.
func TestOldFile(t *testing.T) {
	path := oldFile(t)
	db := open(t, path)
	defer db.Close()
	ctx := t.Context()
	var pageSize int
	var mode string
	if err := db.SQL().QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if pageSize != 16384 || mode != "wal" {
		t.Errorf("page_size %d, journal_mode %s: want 16384, wal", pageSize, mode)
	}
	if got, want := migrations(t, db.SQL()), len(migrationNames(t)); got != want {
		t.Errorf("%d migrations applied, want all %d", got, want)
	}
	var quick string
	if err := db.SQL().QueryRowContext(ctx, "PRAGMA quick_check").Scan(&quick); err != nil || quick != "ok" {
		t.Errorf("quick_check = %q, %v", quick, err)
	}

	readAll := func() []string {
		t.Helper()
		var ids []string
		var p userport.UserPage
		s := userport.UserScan{Tenant: "dev", Limit: 2}
		for {
			if err := db.ReadUsers(ctx, s, &p); err != nil {
				t.Fatalf("ReadUsers: %v", err)
			}
			for i := range p.Len() {
				var doc struct {
					UserID string `json:"user_id"`
				}
				if err := json.Unmarshal(p.Doc(i), &doc); err != nil {
					t.Fatalf("document %d: %v", i, err)
				}
				ids = append(ids, doc.UserID)
			}
			if p.Len() < s.Limit {
				return ids
			}
			s.After = p.Last
		}
	}
	want := []string{"auth0|5e0be1013779b10000000000", "auth0|5e0be1023779b10000000001", "auth0|5e0be1033779b10000000002"}
	if got := readAll(); !slices.Equal(got, want) {
		t.Errorf("the old file's users %q, want %q", got, want)
	}

	var connectionID string
	if err := db.SQL().QueryRowContext(ctx, "SELECT connection_id FROM users LIMIT 1").Scan(&connectionID); err != nil {
		t.Fatal(err)
	}
	u := benchUser("dev", connectionID, 4, time.Now().UTC())
	if err := db.CreateUsers(ctx, u); err != nil {
		t.Fatalf("CreateUsers: %v", err)
	}
	if got := readAll(); len(got) != 4 || !slices.Contains(got, u.UserID) {
		t.Errorf("users after one more %q, want the 3 and %s", got, u.UserID)
	}
	n, err := db.CountUsers(ctx, "dev", "")
	if err != nil || n != 4 {
		t.Errorf("CountUsers = %d, %v: want 4", n, err)
	}

	// Change tracking: the old users have mark 0 (a full export reads
	// them), the new one a mark after it, and deleting an old user leaves
	// a tombstone.
	if err := db.DeleteUser(ctx, "dev", want[0]); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	w, err := db.Watermark(ctx, "dev")
	if err != nil || w.Low != 2 {
		t.Fatalf("Watermark = %+v, %v: want 2 (two writes since the migration)", w, err)
	}
	var p userport.UserPage
	if err := db.ReadChanges(ctx, userport.ChangeScan{Tenant: "dev", Until: w.High, Limit: 10}, &p); err != nil {
		t.Fatalf("ReadChanges: %v", err)
	}
	if p.Len() != 1 || p.Last != u.UserID || p.LastKey != "1" {
		t.Errorf("changes since 0: %d users, last %s at %s; want %s at 1", p.Len(), p.Last, p.LastKey, u.UserID)
	}
	var tp userport.TombstonePage
	if err := db.ReadTombstones(ctx, userport.ChangeScan{Tenant: "dev", Until: w.High, Limit: 10}, &tp); err != nil {
		t.Fatalf("ReadTombstones: %v", err)
	}
	if len(tp.Tombstones) != 1 || tp.Last != want[0] || tp.Tombstones[0].ConnectionID != connectionID || tp.LastMark != 2 {
		t.Errorf("tombstones since 0 = %+v, want %s of %s at 2", tp, want[0], connectionID)
	}
}

// migrationNames lists the embedded migration files.
func migrationNames(t *testing.T) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	return names
}
