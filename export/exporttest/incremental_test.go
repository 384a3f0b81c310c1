package exporttest_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/userport/userport"
	"github.com/userport/userport/export"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/internal/testutil/pgtest"
	"github.com/userport/userport/search"
	"github.com/userport/userport/seed"
)

func TestIncrementalExportsSQLite(t *testing.T) {
	t.Parallel()
	db := testutil.OpenSQLite(t)
	testIncrementalExports(t, db, true)
}

func TestIncrementalExportsPostgres(t *testing.T) {
	t.Parallel()
	db := pgtest.Open(t)
	// On PostgreSQL a watermark's Low is the xmin of a snapshot, which any
	// transaction of the server holds back: an incremental file may hold
	// users changed before its cursor too (never fewer).
	testIncrementalExports(t, db, false)
}

// fileLines is an export file by line kind: the users' lines by user_id,
// and the tombstones' deleted_at by user_id.
type fileLines struct {
	live  map[string]string
	tombs map[string]string
	order []string // every line's user_id, in file order
}

// readFile splits an NDJSON export's lines.
func readFile(t testing.TB, lines []string) fileLines {
	t.Helper()
	f := fileLines{live: map[string]string{}, tombs: map[string]string{}}
	for _, line := range lines {
		id := gjson.Get(line, "user_id").Str
		if _, dup := f.live[id]; dup || f.tombs[id] != "" {
			t.Fatalf("user %s is twice in the file", id)
		}
		if d := gjson.Get(line, "deleted_at"); d.Exists() && len(gjson.Parse(line).Map()) == 2 {
			f.tombs[id] = d.Str
		} else {
			f.live[id] = line
		}
		f.order = append(f.order, id)
	}
	return f
}

// incremental runs the incremental export of the changes since since up to
// the store's current watermark, and returns its file and the watermark.
func incremental(t testing.TB, st userport.Store, job userport.Job, since userport.Watermark) (fileLines, []string, export.Result, userport.Watermark) {
	t.Helper()
	w, err := st.Watermark(context.Background(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	job.Tenant, job.ChangesSince, job.Since, job.Mark = tenant, "cursor", since.Low, w
	if job.Format == "" {
		job.Format = userport.FormatJSON
	}
	lines, res, _, _ := exportLines(t, st, &job)
	if job.Format == userport.FormatCSV {
		return fileLines{}, lines, res, w
	}
	return readFile(t, lines), lines, res, w
}

// writes is one round of changes to the store, and what it changed.
type writes struct {
	changed map[string]bool // created, updated or re-created users
	deleted map[string]bool // deleted and not re-created
	conn    map[string]string
}

// write creates, updates, deletes and re-creates some users of both
// connections.
func write(t testing.TB, st userport.Store, round int, users []*userport.User) ([]*userport.User, writes) {
	t.Helper()
	ctx := context.Background()
	w := writes{changed: map[string]bool{}, deleted: map[string]bool{}, conn: map[string]string{}}
	now := time.Date(2026, 12, 7, 10, round, 0, 0, time.UTC)
	for i, c := range []*userport.Connection{{Tenant: tenant, ID: connUPA, Name: "Username-Password-Authentication"},
		{Tenant: tenant, ID: connLegacy, Name: "legacy-db"}} {
		g := seed.New(int64(100+10*round+i), tenant, c, now)
		created := make([]*userport.User, 6)
		g.Fill(created)
		if err := st.CreateUsers(ctx, created...); err != nil {
			t.Fatal(err)
		}
		for _, u := range created {
			w.changed[u.UserID] = true
			w.conn[u.UserID] = u.ConnectionID
		}
		users = append(users, created...)
	}
	for i := round; i < len(users); i += 17 { // updates
		u := users[i]
		v, _ := userport.EncodeValue(fmt.Sprintf("round %d", round))
		if err := u.Edit(now, userport.Member{Key: "nickname", Value: v}); err != nil {
			t.Fatal(err)
		}
		if err := st.UpdateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		w.changed[u.UserID] = true
	}
	var kept []*userport.User
	for i, u := range users { // deletes, one in 23; one in 46 comes back
		if (i+round)%23 != 0 {
			kept = append(kept, u)
			continue
		}
		if err := st.DeleteUser(ctx, tenant, u.UserID); err != nil {
			t.Fatal(err)
		}
		delete(w.changed, u.UserID)
		w.deleted[u.UserID], w.conn[u.UserID] = true, u.ConnectionID
		if (i+round)%46 == 0 {
			if err := st.CreateUsers(ctx, u); err != nil {
				t.Fatal(err)
			}
			delete(w.deleted, u.UserID)
			w.changed[u.UserID] = true
			kept = append(kept, u)
		}
	}
	return kept, w
}

// testIncrementalExports replays a full export and incremental ones (upsert
// live users, delete on tombstones) and checks the replica against the
// store's users; each incremental file holds every change of its round
// (exactly them when exact), its tombstones after its users. It checks the
// CSV file, a connection's and a filtered incremental file of the same
// changes too.
func testIncrementalExports(t *testing.T, st userport.Store, exact bool) {
	seedStore(t, st, 300, 100)
	ctx := context.Background()
	var users []*userport.User
	for _, conn := range []string{connUPA, connLegacy} {
		var page userport.UserPage
		if err := st.ReadUsers(ctx, userport.UserScan{Tenant: tenant, ConnectionID: conn, Limit: 1000}, &page); err != nil {
			t.Fatal(err)
		}
		for i := range page.Len() {
			u, err := st.FindUser(ctx, tenant, gjson.GetBytes(page.Doc(i), "user_id").Str)
			if err != nil {
				t.Fatal(err)
			}
			users = append(users, u)
		}
	}
	mark, err := st.Watermark(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	full, _, _, _ := exportLines(t, st, &userport.Job{Tenant: tenant, Format: userport.FormatJSON, Mark: mark})
	replica := readFile(t, full).live
	for round := 1; round <= 3; round++ {
		var w writes
		users, w = write(t, st, round, users)
		f, _, res, next := incremental(t, st, userport.Job{}, mark)
		// Every change is in the file (exactly the round's on SQLite), the
		// users first.
		for id := range w.changed {
			if _, ok := f.live[id]; !ok {
				t.Errorf("round %d: changed user %s is not in the file", round, id)
			}
		}
		for id := range w.deleted {
			if f.tombs[id] == "" {
				t.Errorf("round %d: deleted user %s has no tombstone", round, id)
			}
		}
		if exact && (len(f.live) != len(w.changed) || len(f.tombs) != len(w.deleted)) {
			t.Errorf("round %d: %d users and %d tombstones, want %d and %d", round, len(f.live), len(f.tombs), len(w.changed), len(w.deleted))
		}
		if res.Rows != int64(len(f.live)) || res.Tombstones != int64(len(f.tombs)) {
			t.Errorf("round %d: result %+v, file %d users, %d tombstones", round, res, len(f.live), len(f.tombs))
		}
		for i, id := range f.order {
			if _, live := f.live[id]; live && i >= len(f.live) {
				t.Errorf("round %d: user %s follows a tombstone", round, id)
			}
		}
		// The replica, replayed, is the store's users.
		for id, line := range f.live {
			replica[id] = line
		}
		for id := range f.tombs {
			delete(replica, id)
		}
		now, _, _, _ := exportLines(t, st, &userport.Job{Tenant: tenant, Format: userport.FormatJSON})
		if want := readFile(t, now).live; !maps.Equal(replica, want) {
			t.Fatalf("round %d: the replica has %d users, the store %d", round, len(replica), len(want))
		}
		checkVariants(t, st, round, f, mark, w)
		mark = next
	}
}

// checkVariants exports the same changes as f as CSV, of one connection,
// and filtered, and checks them against f.
func checkVariants(t *testing.T, st userport.Store, round int, f fileLines, since userport.Watermark, w writes) {
	t.Helper()
	// CSV: the same users, then a row per tombstone: user_id, empty cells,
	// deleted_at.
	fields := []userport.Field{{Name: "email"}, {Name: "user_id", ExportAs: "id"}}
	_, rows, res, _ := incremental(t, st, userport.Job{Format: userport.FormatCSV, Fields: fields}, since)
	header := "email,id,deleted_at"
	var live, tombs int
	for _, row := range rows {
		cells := testutil.SplitCSV(t, []byte(header+"\n"+row+"\n"))[1]
		id := strings.TrimSuffix(strings.TrimPrefix(cells[1], `"'`), `"`) // cells as written: "'id"
		switch {
		case cells[2] == "" && f.live[id] != "":
			live++
		case cells[2] != "" && cells[0] == "" && f.tombs[id] != "":
			tombs++
			if cells[2] != f.tombs[id] {
				t.Errorf("round %d: CSV deleted_at %s of %s, NDJSON %s", round, cells[2], id, f.tombs[id])
			}
		default:
			t.Errorf("round %d: CSV row %q", round, row)
		}
	}
	if res.FieldCounts == nil || res.FieldCounts[1] != res.Rows {
		t.Errorf("round %d: CSV field counts %v of %d rows", round, res.FieldCounts, res.Rows)
	}
	if live != len(f.live) || tombs != len(f.tombs) {
		t.Errorf("round %d: CSV %d users, %d tombstones; NDJSON %d, %d", round, live, tombs, len(f.live), len(f.tombs))
	}
	// One connection's: its users and tombstones only.
	g, _, _, _ := incremental(t, st, userport.Job{ConnectionID: connLegacy}, since)
	for id, line := range g.live {
		if gjson.Get(line, "identities.0.connection").Str != "legacy-db" {
			t.Errorf("round %d: user %s of another connection", round, id)
		}
	}
	for id := range w.changed {
		if _, ok := g.live[id]; !ok && w.conn[id] == connLegacy {
			t.Errorf("round %d: legacy-db's changed user %s is missing", round, id)
		}
	}
	for id := range w.deleted {
		if (g.tombs[id] != "") != (w.conn[id] == connLegacy) {
			t.Errorf("round %d: tombstone of %s (connection %s) in legacy-db's file: %v", round, id, w.conn[id], g.tombs[id] != "")
		}
	}
	// Filtered: the users of f that match, every tombstone.
	q := `NOT app_metadata.plan:free`
	parsed, err := search.Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	h, _, _, _ := incremental(t, st, userport.Job{Query: q}, since)
	for id, line := range f.live {
		if _, ok := h.live[id]; ok != parsed.Match([]byte(line)) && w.changed[id] {
			t.Errorf("round %d: %s: user %s in the filtered file: %v", round, q, id, ok)
		}
	}
	for id, line := range h.live {
		if !parsed.Match([]byte(line)) {
			t.Errorf("round %d: %s: user %s does not match", round, q, id)
		}
	}
	if len(h.tombs) < len(w.deleted) {
		t.Errorf("round %d: the filtered file has %d tombstones, want %d", round, len(h.tombs), len(w.deleted))
	}
}
