package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/userport/userport"
)

// TestChangeMarksAboveTheOldCounter: a file whose writes took their marks
// from migration 0011's counter (one for the whole file, advanced by every
// tenant's writes) may have handed out cursors at the counter's value, above
// a tenant's own highest mark. Marks are per tenant since 0014, and stay
// above the counter: a tenant's watermark is at least it, and the next
// write is marked after it (else an incremental export from such a cursor
// would skip it).
func TestChangeMarksAboveTheOldCounter(t *testing.T) {
	ctx := t.Context()
	db := open(t, filepath.Join(t.TempDir(), "userport.db"))
	defer db.Close()
	user := func(tenant, id string) *userport.User {
		return &userport.User{Tenant: tenant, UserID: id, ConnectionID: "con_1", Doc: []byte(`{"user_id":"` + id + `"}`)}
	}
	if err := db.CreateUsers(ctx, user("a", "auth0|1")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(ctx, `UPDATE change_counter SET seq = 100`); err != nil {
		t.Fatal(err)
	}
	for _, tenant := range []string{"a", "b"} {
		if w, err := db.Watermark(ctx, tenant); err != nil || w != (userport.Watermark{Low: 100, High: 100}) {
			t.Fatalf("Watermark(%s) = %+v, %v; want 100 (the old counter)", tenant, w, err)
		}
	}
	if err := db.CreateUsers(ctx, user("a", "auth0|2")); err != nil {
		t.Fatal(err)
	}
	w, err := db.Watermark(ctx, "a")
	if err != nil || w.Low != 101 {
		t.Fatalf("Watermark(a) after a write = %+v, %v; want 101", w, err)
	}
	var p userport.UserPage
	if err := db.ReadChanges(ctx, userport.ChangeScan{Tenant: "a", Since: 100, Until: w.High, Limit: 10}, &p); err != nil {
		t.Fatal(err)
	}
	if p.Len() != 1 || p.Last != "auth0|2" || p.LastKey != "101" {
		t.Errorf("changes of a since 100: %d users, last %s at %s; want auth0|2 at 101", p.Len(), p.Last, p.LastKey)
	}
	// Another tenant's write does not move a's marks.
	if err := db.CreateUsers(ctx, user("b", "auth0|3")); err != nil {
		t.Fatal(err)
	}
	if w, err := db.Watermark(ctx, "a"); err != nil || w.Low != 101 {
		t.Errorf("Watermark(a) after b's write = %+v, %v; want 101", w, err)
	}
}
