package exporttest_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/internal/testutil/pgtest"
	"github.com/userport/userport/seed"
)

func TestReplayWithConcurrentWritersSQLite(t *testing.T) {
	t.Parallel()
	db := testutil.OpenSQLite(t)
	testReplay(t, db)
}

func TestReplayWithConcurrentWritersPostgres(t *testing.T) {
	t.Parallel()
	db := pgtest.Open(t)
	testReplay(t, db)
}

// testReplay runs the Exporter's full export, then incremental ones, while
// writers create, update and delete users, and replays the files in order
// (upsert by user_id, delete on a tombstone): once the writers stop, a last
// incremental export brings the replica to the store's users, line by
// line. A second client that replays one incremental export from the full
// export's cursor gets the same.
func testReplay(t *testing.T, st userport.Store) {
	seedStore(t, st, 1500, 500)
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var ops atomic.Int64
	writers := st
	owned := ownedUsers(t, st, 3)
	for i := range 3 {
		wg.Go(func() { writeUntil(ctx, t, writers, i, owned[i], &ops) })
	}
	st = &pacedStore{Store: writers, ops: &ops, writing: ctx}
	// The full export, and three incremental ones, while the writers write.
	first, err := st.Watermark(context.Background(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	full, _, _, _ := exportLines(t, st, &userport.Job{Tenant: tenant, Format: userport.FormatJSON, Mark: first})
	replica := readFile(t, full).live
	second := maps.Clone(replica)
	mark := first
	apply := func(f fileLines) {
		for id, line := range f.live {
			replica[id] = line
		}
		for id := range f.tombs {
			delete(replica, id)
		}
	}
	for range 3 {
		var f fileLines
		f, _, _, mark = incremental(t, st, userport.Job{}, mark)
		apply(f)
	}
	stop()
	wg.Wait()
	t.Logf("%d writes during the exports", ops.Load())
	st = writers
	f, _, _, _ := incremental(t, st, userport.Job{}, mark)
	apply(f)
	now, _, _, _ := exportLines(t, st, &userport.Job{Tenant: tenant, Format: userport.FormatJSON})
	want := readFile(t, now).live
	if !maps.Equal(replica, want) {
		t.Errorf("after %d writes, the replica has %d users, the store %d: %v", ops.Load(), len(replica), len(want), mapDiff(replica, want))
	}
	// A second client, from the full export's cursor in one go.
	g, _, _, _ := incremental(t, st, userport.Job{}, first)
	for id, line := range g.live {
		second[id] = line
	}
	for id := range g.tombs {
		delete(second, id)
	}
	if !maps.Equal(second, want) {
		t.Errorf("the second client has %d users, the store %d: %v", len(second), len(want), mapDiff(second, want))
	}
}

// pacedStore lets the writers write between two pages an export reads,
// while they write: every page of every export has writes before it.
type pacedStore struct {
	userport.Store
	ops     *atomic.Int64
	writing context.Context
	last    int64
}

// pace waits for five more writes.
func (p *pacedStore) pace() {
	for p.writing.Err() == nil && p.ops.Load() < p.last+5 {
		time.Sleep(time.Millisecond)
	}
	p.last = p.ops.Load()
}

func (p *pacedStore) ReadUsers(ctx context.Context, s userport.UserScan, page *userport.UserPage) error {
	p.pace()
	return p.Store.ReadUsers(ctx, s, page)
}

func (p *pacedStore) ReadChanges(ctx context.Context, s userport.ChangeScan, page *userport.UserPage) error {
	p.pace()
	return p.Store.ReadChanges(ctx, s, page)
}

func (p *pacedStore) ReadTombstones(ctx context.Context, s userport.ChangeScan, page *userport.TombstonePage) error {
	p.pace()
	return p.Store.ReadTombstones(ctx, s, page)
}

// ownedUsers splits the fixture's users among n writers, each its own, read
// once before any writes: a writer that read the users after another had
// created some would find the thirds shifted, and write (delete) another's.
func ownedUsers(t *testing.T, st userport.Store, n int) [][]string {
	t.Helper()
	var page userport.UserPage
	if err := st.ReadUsers(context.Background(), userport.UserScan{Tenant: tenant, Limit: 2000}, &page); err != nil {
		t.Fatal(err)
	}
	owned := make([][]string, n)
	for i := range page.Len() {
		owned[i%n] = append(owned[i%n], gjson.GetBytes(page.Doc(i), "user_id").Str)
	}
	return owned
}

// writeUntil creates, updates and deletes users of the fixture until ctx
// is done, counting its writes: ids are the writer's own users, and those it
// creates.
func writeUntil(ctx context.Context, t *testing.T, st userport.Store, writer int, ids []string, ops *atomic.Int64) {
	conn := &userport.Connection{Tenant: tenant, ID: connUPA, Name: "Username-Password-Authentication"}
	g := seed.New(int64(1000+writer), tenant, conn, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	rng := rand.New(rand.NewPCG(uint64(writer), 7))
	bg := context.Background()
	for n := 0; ctx.Err() == nil; n++ {
		var err error
		switch {
		case n%4 == 0 || len(ids) == 0:
			u := g.Next()
			if err = st.CreateUsers(bg, u); err == nil {
				ids = append(ids, u.UserID)
			}
		case n%4 == 3:
			k := rng.IntN(len(ids))
			err = st.DeleteUser(bg, tenant, ids[k])
			ids = append(ids[:k], ids[k+1:]...)
		default:
			var u *userport.User
			if u, err = st.FindUser(bg, tenant, ids[rng.IntN(len(ids))]); err == nil {
				v, _ := userport.EncodeValue(fmt.Sprintf("writer %d, write %d", writer, n))
				if err = u.Edit(time.Now(), userport.Member{Key: "nickname", Value: v}); err == nil {
					err = st.UpdateUser(bg, u)
				}
			}
		}
		switch {
		case userport.ErrorCode(err) == userport.EUNAVAILABLE: // busy: the write did not happen
		case err != nil:
			t.Errorf("writer %d: %v", writer, err)
			return
		default:
			ops.Add(1)
		}
	}
}

// mapDiff lists a few user_ids whose lines differ.
func mapDiff(got, want map[string]string) []string {
	var out []string
	for id, line := range got {
		if want[id] != line && len(out) < 3 {
			out = append(out, "~"+id)
		}
	}
	for id := range want {
		if _, ok := got[id]; !ok && len(out) < 6 {
			out = append(out, "-"+id)
		}
	}
	return out
}
