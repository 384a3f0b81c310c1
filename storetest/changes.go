package storetest

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/userport/userport"
)

// changeTests are the subtests of userport.ChangeStore, run by Run: for
// each way a user is written or deleted, a watermark taken before the
// write sees it (the user's current document, or its tombstone) and one
// taken after it does not.
var changeTests = []struct {
	name string
	fn   func(t *testing.T, s userport.Store)
}{
	{"ChangesCreateUsers", testChangesCreateUsers},
	{"ChangesUpdateUser", testChangesUpdateUser},
	{"ChangesDeleteUser", testChangesDeleteUser},
	{"ChangesImportInsert", testChangesImportInsert},
	{"ChangesImportUpdate", testChangesImportUpdate},
	{"ChangesLoadUsers", testChangesLoadUsers},
	{"ChangesPurgeConnection", testChangesPurgeConnection},
	{"ChangesPaging", testChangesPaging},
	{"ChangesConnectionAndTenant", testChangesConnectionAndTenant},
	{"ChangesUntil", testChangesUntil},
	{"ChangesRecreatedUser", testChangesRecreatedUser},
	{"ChangesPurgeTombstones", testChangesPurgeTombstones},
	{"ChangesMarkNeverGoesBack", testChangesMarkNeverGoesBack},
	{"ChangesBadLimit", testChangesBadLimit},
	{"ChangesReplayCatchesLateWatermark", testChangesReplayCatchesLateWatermark},
}

// watermark takes a watermark of tenant, failing t on error.
func watermark(t testing.TB, s userport.Store, tenant string) userport.Watermark {
	t.Helper()
	w, err := s.Watermark(t.Context(), tenant)
	if err != nil {
		t.Fatalf("Watermark: %v", err)
	}
	return w
}

// changeSet is what an incremental read returned: the live users'
// documents by user_id, the tombstones by user_id, and the highest mark
// read.
type changeSet struct {
	live       map[string]string
	tombstones map[string]userport.Tombstone
	maxMark    uint64
}

// readChanges reads every page of s's changes and tombstones, of pages of
// limit, failing t on error, on a page out of (mark, user_id) order or on a
// user read twice.
func readChanges(t testing.TB, st userport.Store, s userport.ChangeScan, limit int) changeSet {
	t.Helper()
	return readChangePages(t, st, s, limit, true)
}

// readChangesLoose is readChanges where a user may be read twice (changed
// again while the pages are read): the later read is kept.
func readChangesLoose(t testing.TB, st userport.Store, s userport.ChangeScan, limit int) changeSet {
	t.Helper()
	return readChangePages(t, st, s, limit, false)
}

// readChangePages is readChanges, strict or not about a user read twice.
func readChangePages(t testing.TB, st userport.Store, s userport.ChangeScan, limit int, strict bool) changeSet {
	t.Helper()
	ctx := t.Context()
	cs := changeSet{live: map[string]string{}, tombstones: map[string]userport.Tombstone{}}
	s.Limit = limit
	var p userport.UserPage
	type key struct {
		mark uint64
		id   string
	}
	var prev key
	for s.AfterID = ""; ; {
		if err := st.ReadChanges(ctx, s, &p); err != nil {
			t.Fatalf("ReadChanges(%+v): %v", s, err)
		}
		for i := range p.Len() {
			id := docUserID(t, p.Doc(i))
			if _, ok := cs.live[id]; ok && strict {
				t.Fatalf("ReadChanges read %s twice", id)
			}
			cs.live[id] = string(p.Doc(i))
		}
		if p.Len() < limit {
			break
		}
		mark, err := strconv.ParseUint(p.LastKey, 10, 64)
		if err != nil || p.Last == "" {
			t.Fatalf("ReadChanges page ends at mark %q, user %q: %v", p.LastKey, p.Last, err)
		}
		if k := (key{mark, p.Last}); k.mark < prev.mark || k.mark == prev.mark && k.id <= prev.id {
			t.Fatalf("ReadChanges page ends at %+v, after %+v", k, prev)
		} else {
			prev = k
		}
		cs.maxMark = max(cs.maxMark, mark)
		s.AfterMark, s.AfterID = mark, p.Last
	}
	if p.Len() > 0 {
		mark, err := strconv.ParseUint(p.LastKey, 10, 64)
		if err != nil || p.Last != docUserID(t, p.Doc(p.Len()-1)) {
			t.Fatalf("ReadChanges last page ends at mark %q, user %q: %v", p.LastKey, p.Last, err)
		}
		cs.maxMark = max(cs.maxMark, mark)
	}
	var tp userport.TombstonePage
	prev = key{}
	for s.AfterID = ""; ; {
		if err := st.ReadTombstones(ctx, s, &tp); err != nil {
			t.Fatalf("ReadTombstones(%+v): %v", s, err)
		}
		for _, ts := range tp.Tombstones {
			if _, ok := cs.tombstones[ts.UserID]; ok && strict {
				t.Fatalf("ReadTombstones read %s twice", ts.UserID)
			}
			cs.tombstones[ts.UserID] = ts
		}
		if len(tp.Tombstones) > 0 {
			if k := (key{tp.LastMark, tp.Last}); k.mark < prev.mark || k.mark == prev.mark && k.id <= prev.id {
				t.Fatalf("ReadTombstones page ends at %+v, after %+v", k, prev)
			} else {
				prev = k
			}
			cs.maxMark = max(cs.maxMark, tp.LastMark)
		}
		if len(tp.Tombstones) < limit {
			break
		}
		s.AfterMark, s.AfterID = tp.LastMark, tp.Last
	}
	return cs
}

// changesSince reads every change of tenant since w, up to a watermark
// taken now.
func changesSince(t testing.TB, s userport.Store, tenant string, w userport.Watermark) changeSet {
	t.Helper()
	return readChanges(t, s, userport.ChangeScan{Tenant: tenant, Since: w.Low, Until: watermark(t, s, tenant).High}, 3)
}

// docUserID is the user_id of a document.
func docUserID(t testing.TB, doc []byte) string {
	t.Helper()
	var d struct {
		UserID string `json:"user_id"`
	}
	if err := json.Unmarshal(doc, &d); err != nil || d.UserID == "" {
		t.Fatalf("document %s: no user_id (%v)", doc, err)
	}
	return d.UserID
}

// checkWrite runs write between two watermarks and checks what the
// changes since the first hold: the live users of tenant with their stored
// documents, and tombstones of the gone users, of connection conn, deleted
// meanwhile; nothing else. Then, once a watermark is past the changes'
// marks (on PostgreSQL, once no transaction older than the write is open),
// the changes since it hold none of them. The first watermark is one with
// no change since it, so that the earlier writes are not read again.
func checkWrite(t *testing.T, s userport.Store, tenant string, write func(), live []string, conn string, gone []string) {
	t.Helper()
	w0 := quietWatermark(t, s, tenant)
	before := time.Now()
	write()
	after := time.Now()
	cs := changesSince(t, s, tenant, w0)
	wantIDs(t, "users changed", slices.Sorted(maps.Keys(cs.live)), slices.Sorted(slices.Values(live)))
	for _, id := range live {
		u, err := s.FindUser(t.Context(), tenant, id)
		if err != nil {
			t.Fatalf("FindUser(%s): %v", id, err)
		}
		if got, ok := cs.live[id]; ok && got != string(u.Doc) {
			t.Errorf("changed user %s = %s, want the stored %s", id, got, u.Doc)
		}
	}
	wantIDs(t, "tombstones", slices.Sorted(maps.Keys(cs.tombstones)), slices.Sorted(slices.Values(gone)))
	for _, ts := range cs.tombstones {
		field(t, "tombstone "+ts.UserID+" connection", ts.ConnectionID, conn)
		if ts.DeletedAt.Before(before.Add(-time.Minute)) || ts.DeletedAt.After(after.Add(time.Minute)) || ts.DeletedAt.Location() != time.UTC {
			t.Errorf("tombstone %s deleted at %v, want between %v and %v, in UTC", ts.UserID, ts.DeletedAt, before, after)
		}
	}
	w1 := settledWatermark(t, s, tenant, cs.maxMark)
	if later := changesSince(t, s, tenant, w1); len(later.live)+len(later.tombstones) > 0 {
		t.Errorf("changes since a watermark taken after the write: %d users, %d tombstones, want none",
			len(later.live), len(later.tombstones))
	}
}

// settledWatermark takes watermarks until one's Low is at least mark: on
// PostgreSQL a transaction of another test (any database of the server)
// may hold the snapshots' xmin back for a while.
func settledWatermark(t testing.TB, s userport.Store, tenant string, mark uint64) userport.Watermark {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		w := watermark(t, s, tenant)
		if w.Low >= mark {
			return w
		}
		if time.Now().After(deadline) {
			t.Fatalf("watermark %+v still below mark %d after 30 s: a transaction stays open", w, mark)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func testChangesCreateUsers(t *testing.T, s userport.Store) {
	createUsers(t, s, newUser("a", connID(1), 1))
	users := []*userport.User{newUser("a", connID(1), 2), newUser("a", connID(2), 3), newUser("a", connID(1), 4)}
	checkWrite(t, s, "a", func() { createUsers(t, s, users...) }, userIDs(users), "", nil)
	checkWrite(t, s, "a", func() { createUsers(t, s, newUser("a", connID(1), 5)) }, []string{userID(5)}, "", nil)
	// A failed batch changes nothing.
	checkWrite(t, s, "a", func() {
		if err := s.CreateUsers(t.Context(), newUser("a", connID(1), 6), newUser("a", connID(1), 1)); err == nil {
			t.Fatal("CreateUsers of a taken user_id succeeded")
		}
	}, nil, "", nil)
}

func testChangesUpdateUser(t *testing.T, s userport.Store) {
	createUsers(t, s, newUser("a", connID(1), 1), newUser("a", connID(1), 2))
	u := newUser("a", connID(1), 1)
	u.Doc = []byte(fmt.Sprintf(`{"user_id":%q,"given_name":"Updated"}`, u.UserID))
	checkWrite(t, s, "a", func() {
		if err := s.UpdateUser(t.Context(), u); err != nil {
			t.Fatalf("UpdateUser: %v", err)
		}
	}, []string{u.UserID}, "", nil)
	// Updated again: read once, as it is now.
	checkWrite(t, s, "a", func() {
		for i := range 3 {
			u.Doc = []byte(fmt.Sprintf(`{"user_id":%q,"given_name":"Updated %d"}`, u.UserID, i))
			if err := s.UpdateUser(t.Context(), u); err != nil {
				t.Fatalf("UpdateUser: %v", err)
			}
		}
	}, []string{u.UserID}, "", nil)
}

func testChangesDeleteUser(t *testing.T, s userport.Store) {
	createUsers(t, s, newUser("a", connID(1), 1), newUser("a", connID(2), 2), newUser("a", connID(1), 3))
	checkWrite(t, s, "a", func() {
		if err := s.DeleteUser(t.Context(), "a", userID(2)); err != nil {
			t.Fatalf("DeleteUser: %v", err)
		}
	}, nil, connID(2), []string{userID(2)})
	// The user written last, alone with the tenant's highest mark: its
	// tombstone is marked after it (on SQLite a mark read after the delete
	// would be the user's own, which a watermark taken before the delete
	// already holds).
	createUsers(t, s, newUser("a", connID(1), 4))
	checkWrite(t, s, "a", func() {
		if err := s.DeleteUser(t.Context(), "a", userID(4)); err != nil {
			t.Fatalf("DeleteUser: %v", err)
		}
	}, nil, connID(1), []string{userID(4)})
	// Deleting a missing user leaves no tombstone.
	checkWrite(t, s, "a", func() {
		err := s.DeleteUser(t.Context(), "a", userID(9))
		wantError(t, err, userport.ENOTFOUND, "inexistent_user", notFoundMessage)
	}, nil, "", nil)
}

func testChangesImportInsert(t *testing.T, s userport.Store) {
	j := newImportJob("a", 1)
	createImport(t, s, j, 1000)
	a, b := importUser(1, 0), importUser(2, 1)
	checkWrite(t, s, "a", func() { writeBatch(t, s, batch(j, 0, 2, a, b)) }, []string{userID(1), userID(2)}, "", nil)
	// A duplicate is refused and changes nothing; a new user goes in.
	c := importUser(3, 3)
	checkWrite(t, s, "a", func() { writeBatch(t, s, batch(j, 2, 4, importUser(1, 2), c)) }, []string{userID(3)}, "", nil)
}

func testChangesImportUpdate(t *testing.T, s userport.Store) {
	var existing []*userport.User
	for n := 1; n <= 6; n++ {
		existing = append(existing, newUser("a", importConn, n))
	}
	createUsers(t, s, existing...)
	j := newImportJob("a", 1)
	j.Upsert = true
	createImport(t, s, j, 1000)
	// One update alone, then several in one statement (PostgreSQL), then
	// two that trade emails (a unique index refuses them in one statement
	// on PostgreSQL: each is then written alone) and an insert.
	checkWrite(t, s, "a", func() { writeBatch(t, s, batch(j, 0, 1, importUser(1, 0))) }, []string{userID(1)}, "", nil)
	checkWrite(t, s, "a", func() { writeBatch(t, s, batch(j, 1, 3, importUser(2, 1), importUser(3, 2))) },
		[]string{userID(2), userID(3)}, "", nil)
	moveA, moveB := importUser(4, 3), importUser(5, 4)
	moveA.User.Email, moveB.User.Email = "spare@example.com", existing[3].Email
	checkWrite(t, s, "a", func() { writeBatch(t, s, batch(j, 3, 6, moveA, moveB, importUser(7, 5))) },
		[]string{userID(4), userID(5), userID(7)}, "", nil)
}

func testChangesLoadUsers(t *testing.T, s userport.Store) {
	l, ok := s.(userport.UserLoader)
	if !ok {
		t.Skip("the store has no bulk load (userport.UserLoader)")
	}
	// Into an empty store (one transaction), then fewer than stored (batch
	// by batch).
	checkWrite(t, s, loadTenant, func() {
		if err := l.LoadUsers(t.Context(), 30, batchesOf(loadUsers(1, 30), 7)); err != nil {
			t.Fatalf("LoadUsers: %v", err)
		}
	}, userIDs(loadUsers(1, 30)), "", nil)
	checkWrite(t, s, loadTenant, func() {
		if err := l.LoadUsers(t.Context(), 5, batchesOf(loadUsers(31, 35), 2)); err != nil {
			t.Fatalf("LoadUsers: %v", err)
		}
	}, userIDs(loadUsers(31, 35)), "", nil)
}

func testChangesPurgeConnection(t *testing.T, s userport.Store) {
	ctx := t.Context()
	conn := &userport.Connection{Tenant: "a", ID: connID(1), Name: "Gone", Strategy: "auth0", CreatedAt: baseTime}
	if err := s.CreateConnection(ctx, conn); err != nil {
		t.Fatalf("CreateConnection: %v", err)
	}
	var users []*userport.User
	for n := 1; n <= 5; n++ {
		users = append(users, newUser("a", connID(1), n))
	}
	createUsers(t, s, append(users, newUser("a", connID(2), 6))...)
	if err := s.DeleteConnection(ctx, "a", connID(1), baseTime); err != nil {
		t.Fatalf("DeleteConnection: %v", err)
	}
	purge := func(want int) func() {
		return func() {
			n, err := s.PurgeConnection(ctx, "a", connID(1), 3)
			if err != nil || n != want {
				t.Fatalf("PurgeConnection = %d, %v; want %d", n, err, want)
			}
		}
	}
	w := watermark(t, s, "a")
	checkWrite(t, s, "a", purge(3), nil, connID(1), userIDs(users[:3]))
	checkWrite(t, s, "a", purge(2), nil, connID(1), userIDs(users[3:]))
	checkWrite(t, s, "a", purge(0), nil, "", nil)
	cs := changesSince(t, s, "a", w)
	wantIDs(t, "tombstones of the purge", slices.Sorted(maps.Keys(cs.tombstones)), userIDs(users))
}

func testChangesPaging(t *testing.T, s userport.Store) {
	w := watermark(t, s, "a")
	var ids []string
	// Several transactions of several users, in and out of key order.
	for b := range 5 {
		var users []*userport.User
		for i := range 5 {
			users = append(users, newUser("a", connID(1), 100-b*5-i))
		}
		createUsers(t, s, users...)
		ids = append(ids, userIDs(users)...)
	}
	for n := 1; n <= 10; n++ {
		if err := s.DeleteUser(t.Context(), "a", userID(100-n*2)); err != nil {
			t.Fatalf("DeleteUser: %v", err)
		}
	}
	until := watermark(t, s, "a").High
	var live, gone []string
	for _, id := range ids {
		if !slices.ContainsFunc([]int{2, 4, 6, 8, 10, 12, 14, 16, 18, 20}, func(n int) bool { return id == userID(100-n) }) {
			live = append(live, id)
		} else {
			gone = append(gone, id)
		}
	}
	for _, limit := range []int{1, 2, 4, 15, 25, 100} {
		cs := readChanges(t, s, userport.ChangeScan{Tenant: "a", Since: w.Low, Until: until}, limit)
		wantIDs(t, fmt.Sprintf("users of pages of %d", limit), slices.Sorted(maps.Keys(cs.live)), slices.Sorted(slices.Values(live)))
		wantIDs(t, fmt.Sprintf("tombstones of pages of %d", limit), slices.Sorted(maps.Keys(cs.tombstones)), slices.Sorted(slices.Values(gone)))
	}
}

func testChangesConnectionAndTenant(t *testing.T, s userport.Store) {
	tenants := []string{"a", "b", "c"}
	w := map[string]userport.Watermark{}
	for _, tenant := range tenants {
		w[tenant] = watermark(t, s, tenant)
	}
	createUsers(t, s, newUser("a", connID(1), 1), newUser("a", connID(2), 2), newUser("a", connID(1), 3),
		newUser("a", connID(2), 4), newUser("b", connID(1), 5), newUser("b", connID(1), 6))
	for _, k := range []struct {
		tenant string
		n      int
	}{{"a", 3}, {"a", 4}, {"b", 6}} {
		if err := s.DeleteUser(t.Context(), k.tenant, userID(k.n)); err != nil {
			t.Fatalf("DeleteUser: %v", err)
		}
	}
	until := map[string]uint64{}
	for _, tenant := range tenants {
		until[tenant] = watermark(t, s, tenant).High
	}
	for _, tt := range []struct {
		tenant, conn string
		live, gone   []string
	}{
		{"a", "", []string{userID(1), userID(2)}, []string{userID(3), userID(4)}},
		{"a", connID(1), []string{userID(1)}, []string{userID(3)}},
		{"a", connID(2), []string{userID(2)}, []string{userID(4)}},
		{"a", connID(3), nil, nil},
		{"b", "", []string{userID(5)}, []string{userID(6)}},
		{"c", "", nil, nil},
	} {
		cs := readChanges(t, s, userport.ChangeScan{Tenant: tt.tenant, ConnectionID: tt.conn, Since: w[tt.tenant].Low, Until: until[tt.tenant]}, 2)
		what := fmt.Sprintf("tenant %s connection %q", tt.tenant, tt.conn)
		wantIDs(t, what+": users", slices.Sorted(maps.Keys(cs.live)), tt.live)
		wantIDs(t, what+": tombstones", slices.Sorted(maps.Keys(cs.tombstones)), tt.gone)
	}
}

// testChangesUntil: an export reads the changes up to its own watermark,
// not those that came after it.
func testChangesUntil(t *testing.T, s userport.Store) {
	w0 := watermark(t, s, "a")
	createUsers(t, s, newUser("a", connID(1), 1))
	if err := s.DeleteUser(t.Context(), "a", userID(1)); err != nil {
		t.Fatal(err)
	}
	createUsers(t, s, newUser("a", connID(1), 2))
	w1 := watermark(t, s, "a")
	createUsers(t, s, newUser("a", connID(1), 3), newUser("a", connID(1), 4))
	if err := s.DeleteUser(t.Context(), "a", userID(2)); err != nil {
		t.Fatal(err)
	}
	cs := readChanges(t, s, userport.ChangeScan{Tenant: "a", Since: w0.Low, Until: w1.High}, 10)
	wantIDs(t, "users up to the watermark", slices.Sorted(maps.Keys(cs.live)), nil)
	wantIDs(t, "tombstones up to the watermark", slices.Sorted(maps.Keys(cs.tombstones)), []string{userID(1)})
	// User 2, created before w1 and deleted after: neither live (it is
	// gone) nor a tombstone (marked after w1) up to w1, but a tombstone
	// since w0 up to now.
	cs = changesSince(t, s, "a", w0)
	wantIDs(t, "users up to now", slices.Sorted(maps.Keys(cs.live)), []string{userID(3), userID(4)})
	wantIDs(t, "tombstones up to now", slices.Sorted(maps.Keys(cs.tombstones)), []string{userID(1), userID(2)})
}

// testChangesRecreatedUser: a user deleted and created again is a live
// change, without its tombstone; deleted again, a tombstone again.
func testChangesRecreatedUser(t *testing.T, s userport.Store) {
	createUsers(t, s, newUser("a", connID(1), 1))
	w := watermark(t, s, "a")
	if err := s.DeleteUser(t.Context(), "a", userID(1)); err != nil {
		t.Fatal(err)
	}
	again := newUser("a", connID(2), 1)
	again.Doc = []byte(fmt.Sprintf(`{"user_id":%q,"given_name":"Again"}`, again.UserID))
	createUsers(t, s, again)
	cs := changesSince(t, s, "a", w)
	wantIDs(t, "users", slices.Sorted(maps.Keys(cs.live)), []string{userID(1)})
	field(t, "the user's document", cs.live[userID(1)], string(again.Doc))
	wantIDs(t, "tombstones", slices.Sorted(maps.Keys(cs.tombstones)), nil)
	if err := s.DeleteUser(t.Context(), "a", userID(1)); err != nil {
		t.Fatal(err)
	}
	cs = changesSince(t, s, "a", w)
	wantIDs(t, "users after the second delete", slices.Sorted(maps.Keys(cs.live)), nil)
	wantIDs(t, "tombstones after the second delete", slices.Sorted(maps.Keys(cs.tombstones)), []string{userID(1)})
	field(t, "tombstone connection", cs.tombstones[userID(1)].ConnectionID, connID(2))
}

func testChangesPurgeTombstones(t *testing.T, s userport.Store) {
	ctx := t.Context()
	horizon := func(tenant string) uint64 {
		t.Helper()
		h, err := s.TombstoneHorizon(ctx, tenant)
		if err != nil {
			t.Fatalf("TombstoneHorizon(%s): %v", tenant, err)
		}
		return h
	}
	purge := func(before time.Time, want int64) {
		t.Helper()
		n, err := s.PurgeTombstones(ctx, before)
		if err != nil || n != want {
			t.Fatalf("PurgeTombstones(%v) = %d, %v; want %d", before, n, err, want)
		}
	}
	field(t, "horizon of a new store", horizon("a"), 0)
	w := watermark(t, s, "a")
	createUsers(t, s, newUser("a", connID(1), 1), newUser("a", connID(1), 2), newUser("b", connID(1), 3))
	for _, k := range []struct {
		tenant string
		n      int
	}{{"a", 1}, {"a", 2}, {"b", 3}} {
		if err := s.DeleteUser(ctx, k.tenant, userID(k.n)); err != nil {
			t.Fatal(err)
		}
	}
	marks := changesSince(t, s, "a", w).maxMark
	purge(time.Now().Add(-time.Hour), 0)
	field(t, "horizon after purging nothing", horizon("a"), 0)
	purge(time.Now().Add(time.Hour), 3)
	if h := horizon("a"); h != marks {
		t.Errorf("horizon of a = %d, want its highest purged mark %d", h, marks)
	}
	if horizon("b") == 0 || horizon("c") != 0 {
		t.Errorf("horizons of b, c = %d, %d; want b's purged mark and 0", horizon("b"), horizon("c"))
	}
	if cs := changesSince(t, s, "a", w); len(cs.tombstones) != 0 {
		t.Errorf("tombstones after the purge: %d, want none", len(cs.tombstones))
	}
	// A later purge raises the horizon, never lowers it.
	createUsers(t, s, newUser("a", connID(1), 4))
	if err := s.DeleteUser(ctx, "a", userID(4)); err != nil {
		t.Fatal(err)
	}
	purge(time.Now().Add(time.Hour), 1)
	if h := horizon("a"); h <= marks {
		t.Errorf("horizon after a later purge = %d, want above %d", h, marks)
	}
}

// testChangesMarkNeverGoesBack: a tenant's watermark does not go back when
// the user with the highest mark is deleted and its tombstone purged, nor
// when another tenant writes, and a write after it is read since it (on
// SQLite a tenant's marks follow the highest of its users, tombstones and
// horizon: without the horizon, the write after the purge would reuse a
// mark at or below the watermark and be skipped).
func testChangesMarkNeverGoesBack(t *testing.T, s userport.Store) {
	ctx := t.Context()
	createUsers(t, s, newUser("a", connID(1), 1), newUser("a", connID(1), 2))
	if err := s.DeleteUser(ctx, "a", userID(2)); err != nil {
		t.Fatal(err)
	}
	before := watermark(t, s, "a")
	if n, err := s.PurgeTombstones(ctx, time.Now().Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("PurgeTombstones = %d, %v; want 1", n, err)
	}
	createUsers(t, s, newUser("b", connID(1), 3))
	if w := watermark(t, s, "a"); w.Low < before.Low || w.High < before.High {
		t.Errorf("watermark after the purge = %+v, before it %+v: went back", w, before)
	}
	w := settledWatermark(t, s, "a", before.Low)
	createUsers(t, s, newUser("a", connID(1), 4))
	cs := changesSince(t, s, "a", w)
	wantIDs(t, "users changed after the purge", slices.Sorted(maps.Keys(cs.live)), []string{userID(4)})
	wantIDs(t, "tombstones after the purge", slices.Sorted(maps.Keys(cs.tombstones)), nil)
}

func testChangesBadLimit(t *testing.T, s userport.Store) {
	var p userport.UserPage
	if err := s.ReadChanges(t.Context(), userport.ChangeScan{Tenant: "a", Until: 1}, &p); err == nil {
		t.Error("ReadChanges with limit 0 succeeded")
	}
	var tp userport.TombstonePage
	if err := s.ReadTombstones(t.Context(), userport.ChangeScan{Tenant: "a", Until: 1}, &tp); err == nil {
		t.Error("ReadTombstones with limit 0 succeeded")
	}
}
