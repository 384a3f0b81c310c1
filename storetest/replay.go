package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/userport/userport"
)

// HeldWriter writes users in one transaction of the store's own, with the
// store's statements, that stays open until Commit: the writer that the
// replay property test holds open across a whole export.
type HeldWriter interface {
	// Create inserts users in the transaction.
	Create(ctx context.Context, users ...*userport.User) error
	// Update replaces a stored user in the transaction.
	Update(ctx context.Context, u *userport.User) error
	// Commit commits the transaction.
	Commit(ctx context.Context) error
}

// replayTenant is the tenant of the replay tests.
const replayTenant = "a"

// replica is what a client that replays exports holds: user_id ->
// document.
type replica map[string]string

// fullExport reads every user of the tenant as an export does: the
// watermark first, then keyset pages of ReadUsers, none in a transaction.
// The replica becomes what it read; the watermark is the export's cursor.
func (r replica) fullExport(t testing.TB, s userport.Store) userport.Watermark {
	t.Helper()
	w := watermark(t, s, replayTenant)
	clear(r)
	maps.Copy(r, readAll(t, s))
	return w
}

// readAll reads every user of the tenant with ReadUsers, in pages of 97.
func readAll(t testing.TB, s userport.Store) map[string]string {
	t.Helper()
	users := map[string]string{}
	scan := userport.UserScan{Tenant: replayTenant, Limit: 97}
	var p userport.UserPage
	for {
		if err := s.ReadUsers(t.Context(), scan, &p); err != nil {
			t.Fatalf("ReadUsers: %v", err)
		}
		for i := range p.Len() {
			users[docUserID(t, p.Doc(i))] = string(p.Doc(i))
		}
		if p.Len() < scan.Limit {
			return users
		}
		scan.After = p.Last
	}
}

// incremental reads the changes since the cursor since as an incremental
// export does (a watermark first, then pages of ReadChanges up to its High,
// then pages of ReadTombstones) and applies them in that order: upsert the
// live users, delete the tombstones' users. It returns the new cursor.
func (r replica) incremental(t testing.TB, s userport.Store, since uint64) (userport.Watermark, changeSet) {
	t.Helper()
	w := watermark(t, s, replayTenant)
	cs := readChangesLoose(t, s, userport.ChangeScan{Tenant: replayTenant, Since: since, Until: w.High}, 53)
	maps.Copy(r, cs.live)
	for id := range cs.tombstones {
		delete(r, id)
	}
	return w, cs
}

// diff describes how the replica differs from the users: "" when equal.
func (r replica) diff(users map[string]string) string {
	var missing, extra, stale []string
	for id, doc := range users {
		if got, ok := r[id]; !ok {
			missing = append(missing, id)
		} else if got != doc {
			stale = append(stale, id)
		}
	}
	for id := range r {
		if _, ok := users[id]; !ok {
			extra = append(extra, id)
		}
	}
	if len(missing)+len(extra)+len(stale) == 0 {
		return ""
	}
	return fmt.Sprintf("%d users missing %.3q, %d deleted users kept %.3q, %d stale %.3q (of %d users)",
		len(missing), missing, len(extra), extra, len(stale), stale, len(users))
}

// replayUsers is how many users the replay property test starts with:
// USERPORT_TEST_REPLAY_USERS, or 2,000 (the acceptance run used
// 200,000; docs/benchmarks.md).
func replayUsers(t *testing.T) int {
	if v := os.Getenv("USERPORT_TEST_REPLAY_USERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 100 {
			t.Fatalf("USERPORT_TEST_REPLAY_USERS=%q: want a number >= 100", v)
		}
		return n
	}
	return 2000
}

// replayDoc is the document of user n at version v: a profile and
// metadata that every update changes.
func replayDoc(u *userport.User, v int) []byte {
	return fmt.Appendf(nil, `{"user_id":%q,"email":%q,"given_name":"Name %d","app_metadata":{"plan":"p%d"},"user_metadata":{"v":%d}}`,
		u.UserID, u.Email, v, v%3, v)
}

// testChangesReplay is the property incremental exports rest on (issue 21):
// replaying a full export and then each incremental export in order (upsert
// the live users, delete the tombstones' users) gives exactly the tenant's
// users, while writers create, update and delete users through every
// write path during each export; with held, one writer holds its
// transaction open across the full export and the first incremental one.
// A second client that starts from the full export's cursor and replays one
// incremental export at the end gets the same users.
func testChangesReplay(t *testing.T, s userport.Store, held func(t *testing.T, s userport.Store) HeldWriter) {
	ctx := t.Context()
	n := replayUsers(t)
	conn := &userport.Connection{Tenant: replayTenant, ID: connID(1), Name: "Main", Strategy: "auth0", CreatedAt: baseTime}
	doomed := &userport.Connection{Tenant: replayTenant, ID: connID(2), Name: "Doomed", Strategy: "auth0", CreatedAt: baseTime}
	for _, c := range []*userport.Connection{conn, doomed} {
		if err := s.CreateConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	var users []*userport.User
	for i := range n {
		c := conn.ID
		if i%10 == 0 {
			c = doomed.ID
		}
		users = append(users, newUser(replayTenant, c, i))
	}
	for b := range slices.Chunk(users, 1000) {
		createUsers(t, s, b...)
	}

	// The held writer's transaction gets its id before the full export's
	// watermark, and commits after the first incremental export.
	var hw HeldWriter
	if held != nil {
		hw = held(t, s)
		u := newUser(replayTenant, conn.ID, 9_000_000)
		must(t, "held create", hw.Create(ctx, u))
		v := *users[3]
		v.Doc = replayDoc(&v, 1000)
		must(t, "held update", hw.Update(ctx, &v))
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	const writers = 3
	for w := range writers {
		wg.Go(func() {
			if err := replayWriter(ctx, s, w, users, stop); err != nil {
				errs <- fmt.Errorf("writer %d: %w", w, err)
			}
		})
	}
	wg.Go(func() {
		if err := replayImporter(ctx, s, stop); err != nil {
			errs <- fmt.Errorf("importer: %w", err)
		}
	})
	wg.Go(func() {
		// A connection's delete, its users purged in batches meanwhile.
		time.Sleep(20 * time.Millisecond)
		if err := s.DeleteConnection(ctx, replayTenant, doomed.ID, baseTime); err != nil {
			errs <- err
			return
		}
		for {
			n, err := s.PurgeConnection(ctx, replayTenant, doomed.ID, 25)
			if err != nil {
				errs <- fmt.Errorf("purge: %w", err)
				return
			}
			if n == 0 {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	})

	r := replica{}
	full := r.fullExport(t, s)
	first := maps.Clone(r)
	cursor := full
	for round := range 3 {
		time.Sleep(100 * time.Millisecond)
		var cs changeSet
		cursor, cs = r.incremental(t, s, cursor.Low)
		t.Logf("incremental export %d: %d users, %d tombstones", round+1, len(cs.live), len(cs.tombstones))
		if round == 0 && hw != nil {
			v := *users[7]
			v.Doc = replayDoc(&v, 1001)
			must(t, "held update", hw.Update(ctx, &v))
			must(t, "held commit", hw.Commit(ctx))
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	_, cs := r.incremental(t, s, cursor.Low)
	t.Logf("last incremental export: %d users, %d tombstones", len(cs.live), len(cs.tombstones))
	stored := readAll(t, s)
	if d := r.diff(stored); d != "" {
		t.Errorf("replica after a full and 4 incremental exports: %s", d)
	}
	second := replica(first)
	_, _ = second.incremental(t, s, full.Low)
	if d := second.diff(stored); d != "" {
		t.Errorf("second replica, from the full export's cursor at once: %s", d)
	}
	if len(stored) == n {
		t.Errorf("the writers changed nothing: %d users", len(stored))
	}
}

// quietWatermark takes watermarks until one has no change of tenant since
// it: on PostgreSQL, until no transaction older than the last write is open
// (another test's, of any database of the server, holds the xmin back).
func quietWatermark(t testing.TB, s userport.Store, tenant string) userport.Watermark {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		w := watermark(t, s, tenant)
		cs := readChangesLoose(t, s, userport.ChangeScan{Tenant: tenant, Since: w.Low, Until: watermark(t, s, tenant).High}, 100)
		if len(cs.live)+len(cs.tombstones) == 0 {
			return w
		}
		if time.Now().After(deadline) {
			t.Fatalf("changes since every watermark for 30 s: a transaction stays open")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// must fails t on err.
func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// replayWriter creates, updates and deletes users until stop is closed:
// new users of its own, and updates and deletes of the stored users whose
// position is w modulo 4 (those at 3 are the held writer's).
func replayWriter(ctx context.Context, s userport.Store, w int, users []*userport.User, stop <-chan struct{}) error {
	rng := rand.New(rand.NewPCG(uint64(w), 21))
	var mine []*userport.User
	for i := w; i < len(users); i += 4 {
		if users[i].ConnectionID == connID(1) {
			c := *users[i]
			mine = append(mine, &c)
		}
	}
	for k := 0; ; k++ {
		select {
		case <-stop:
			return nil
		default:
		}
		switch op := rng.IntN(10); {
		case op < 3 || len(mine) == 0:
			var batch []*userport.User
			for j := range 1 + rng.IntN(5) {
				batch = append(batch, newUser(replayTenant, connID(1), 1_000_000*(w+1)+k*10+j))
			}
			if err := s.CreateUsers(ctx, batch...); err != nil {
				return fmt.Errorf("create: %w", err)
			}
			mine = append(mine, batch...)
		case op < 8:
			u := mine[rng.IntN(len(mine))]
			u.Doc = replayDoc(u, k)
			if err := s.UpdateUser(ctx, u); err != nil {
				return fmt.Errorf("update %s: %w", u.UserID, err)
			}
		default:
			i := rng.IntN(len(mine))
			if err := s.DeleteUser(ctx, replayTenant, mine[i].UserID); err != nil {
				return fmt.Errorf("delete %s: %w", mine[i].UserID, err)
			}
			mine = slices.Delete(mine, i, i+1)
		}
	}
}

// replayImporter runs an upsert import of batches of new users and of
// users it imported before (updates), until stop is closed.
func replayImporter(ctx context.Context, s userport.Store, stop <-chan struct{}) error {
	j := newJob(replayTenant, 1, userport.JobUsersImport, userport.JobPending, baseTime)
	j.ConnectionID, j.Connection, j.UploadKey, j.Upsert = connID(1), "Main", userport.ImportUploadKey(j.ID), true
	if err := s.CreateImportJob(ctx, j, 1<<30, 0, noEnqueue); err != nil {
		return err
	}
	var record int64
	for k := 0; ; k++ {
		select {
		case <-stop:
			return nil
		default:
		}
		var batch []userport.ImportUser
		for i := range 10 {
			n := 5_000_000 + k*5 + i // half new, half imported by the batch before
			u := newUser(replayTenant, connID(1), n)
			u.Doc = replayDoc(u, k)
			batch = append(batch, upsertUser(u, record, u.Doc))
			record++
		}
		b := &userport.ImportBatch{Tenant: j.Tenant, JobID: j.ID, ConnectionID: j.ConnectionID, Upsert: true,
			From: record - 10, To: record, Users: batch}
		if _, err := s.WriteImportBatch(ctx, b); err != nil {
			return err
		}
	}
}

// upsertUser is u as record of an upsert import: an existing user becomes
// u with doc, keeping its creation time.
func upsertUser(u *userport.User, record int64, doc json.RawMessage) userport.ImportUser {
	return userport.ImportUser{Record: record, User: u,
		Echo: func() json.RawMessage { return json.RawMessage(`{}`) },
		Update: func(old *userport.User) (*userport.User, error) {
			x := *u
			x.CreatedAt, x.Doc = old.CreatedAt, doc
			return &x, nil
		}}
}

// testChangesReplayCatchesLateWatermark shows that the replay check above
// can fail: an export whose watermark is taken after its reads (instead
// of before) misses a change made during them, and the replica differs
// from the store; with the watermark first, it does not.
func testChangesReplayCatchesLateWatermark(t *testing.T, s userport.Store) {
	var users []*userport.User
	for i := range 20 {
		users = append(users, newUser(replayTenant, connID(1), i))
	}
	createUsers(t, s, users...)
	// An export that reads the first page, then a change to a user of that
	// page, then the rest.
	version := 0
	export := func(watermarkFirst bool) (replica, userport.Watermark) {
		r := replica{}
		var w userport.Watermark
		if watermarkFirst {
			w = watermark(t, s, replayTenant)
		}
		scan := userport.UserScan{Tenant: replayTenant, Limit: 5}
		var p userport.UserPage
		for page := 0; ; page++ {
			if err := s.ReadUsers(t.Context(), scan, &p); err != nil {
				t.Fatal(err)
			}
			for i := range p.Len() {
				r[docUserID(t, p.Doc(i))] = string(p.Doc(i))
			}
			if page == 0 {
				version++
				u := *users[0]
				u.Doc = replayDoc(&u, version)
				if err := s.UpdateUser(t.Context(), &u); err != nil {
					t.Fatal(err)
				}
			}
			if p.Len() < scan.Limit {
				break
			}
			scan.After = p.Last
		}
		if !watermarkFirst {
			w = quietWatermark(t, s, replayTenant)
		}
		return r, w
	}
	for _, first := range []bool{true, false} {
		r, w := export(first)
		_, _ = r.incremental(t, s, w.Low)
		d := r.diff(readAll(t, s))
		if first && d != "" {
			t.Errorf("watermark first: %s", d)
		} else if !first && d == "" {
			t.Error("watermark after the reads: the replica equals the store, want the change during the export missed")
		}
	}
}
