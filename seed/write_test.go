package seed_test

import (
	"context"
	"errors"
	"iter"
	"strings"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/seed"
)

// countingStore counts how users reach it: by CreateUsers, in batches.
type countingStore struct {
	userport.UserStore // nil: only CreateUsers is called
	created, batches   int
	ids                map[string]bool
	err                error // the answer of every CreateUsers
}

func (s *countingStore) CreateUsers(_ context.Context, users ...*userport.User) error {
	s.batches++
	for _, u := range users {
		if s.ids == nil {
			s.ids = map[string]bool{}
		}
		s.ids[u.UserID] = true
	}
	s.created += len(users)
	return s.err
}

// loadingStore has a bulk load, which Write must use.
type loadingStore struct {
	*countingStore
	loaded int
}

func (s *loadingStore) LoadUsers(_ context.Context, _ int, batches iter.Seq[[]*userport.User]) error {
	for b := range batches {
		s.loaded += len(b)
	}
	return nil
}

// TestWrite: every user is written once, in batches of seed.Batch, through
// the store's bulk load when it has one, with progress told of each.
func TestWrite(t *testing.T) {
	for _, n := range []int{0, 1, seed.Batch, 2*seed.Batch + 7} {
		plain := &countingStore{}
		told := 0
		if err := seed.Write(t.Context(), plain, seed.New(1, "dev", testConn, seed.Start), n, func(k int) { told += k }); err != nil {
			t.Fatal(err)
		}
		if wantBatches := (n + seed.Batch - 1) / seed.Batch; plain.created != n || len(plain.ids) != n || plain.batches != wantBatches || told != n {
			t.Errorf("n=%d: %d users (%d distinct) in %d batches, progress %d; want %d in %d", n, plain.created, len(plain.ids), plain.batches, told, n, wantBatches)
		}
		bulk := &loadingStore{countingStore: &countingStore{}}
		if err := seed.Write(t.Context(), bulk, seed.New(1, "dev", testConn, seed.Start), n, nil); err != nil {
			t.Fatal(err)
		}
		if bulk.loaded != n || bulk.created != 0 {
			t.Errorf("n=%d: bulk load %d, CreateUsers %d; want %d, 0", n, bulk.loaded, bulk.created, n)
		}
	}
}

// TestWriteStops: a store error ends the write with that error, and a
// cancelled context ends it too, the generator's goroutine included.
func TestWriteStops(t *testing.T) {
	boom := errors.New("disk full")
	s := &countingStore{err: boom}
	if err := seed.Write(t.Context(), s, seed.New(1, "dev", testConn, seed.Start), 3*seed.Batch, nil); !errors.Is(err, boom) || s.batches != 1 {
		t.Errorf("Write = %v after %d batches, want %v after 1", err, s.batches, boom)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := seed.Write(ctx, &countingStore{}, seed.New(1, "dev", testConn, seed.Start), 3*seed.Batch, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Write on a cancelled context = %v, want context.Canceled", err)
	}
}

// TestEnsureConnection: the connection is created once, then found.
func TestEnsureConnection(t *testing.T) {
	e := testutil.NewEmbedded(t)
	first, err := seed.EnsureConnection(t.Context(), e.Store, "dev", "Imported", e.Clock)
	if err != nil || first.Name != "Imported" || first.Strategy != "auth0" || first.Tenant != "dev" {
		t.Fatalf("EnsureConnection = %+v, %v", first, err)
	}
	again, err := seed.EnsureConnection(t.Context(), e.Store, "dev", "Imported", e.Clock)
	if err != nil || again.ID != first.ID {
		t.Errorf("second EnsureConnection = %+v, %v; want the connection %s found", again, err, first.ID)
	}
	if c, err := seed.EnsureConnection(t.Context(), e.Store, "dev", e.Conn.Name, e.Clock); err != nil || c.ID != e.Conn.ID {
		t.Errorf("the default connection: %+v, %v; want %s", c, err, e.Conn.ID)
	}
}

// TestEnsureConnectionRefusesBadNames: seed and load create only names the
// API would accept (userport.CheckConnectionName), and create nothing else.
func TestEnsureConnectionRefusesBadNames(t *testing.T) {
	e := testutil.NewEmbedded(t)
	for _, name := range []string{"", "has space", "-leading", "trailing-", "under_score", strings.Repeat("a", 129)} {
		c, err := seed.EnsureConnection(t.Context(), e.Store, "dev", name, e.Clock)
		if userport.ErrorCode(err) != userport.EINVALID {
			t.Errorf("EnsureConnection(%q) = %+v, %v; want EINVALID", name, c, err)
		}
		if _, err := e.Store.FindConnectionByName(t.Context(), "dev", name); userport.ErrorCode(err) != userport.ENOTFOUND {
			t.Errorf("after EnsureConnection(%q): FindConnectionByName = %v, want ENOTFOUND", name, err)
		}
	}
}

// TestWriteIsDeterministic: two empty stores seeded with the same seed
// hold the same users, identifiers and documents (what seed --seed relies
// on; moved from cmd/userport).
func TestWriteIsDeterministic(t *testing.T) {
	t.Parallel()
	first := func() []string {
		e := testutil.NewEmbedded(t)
		g, _, err := seed.Continue(t.Context(), e.Store, 42, "dev", e.Conn, seed.Start)
		if err == nil {
			err = seed.Write(t.Context(), e.Store, g, 20, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		users, err := e.Store.ListUsers(t.Context(), userport.UserFilter{Tenant: "dev", Limit: 20})
		if err != nil || len(users) != 20 {
			t.Fatalf("ListUsers: %d users, %v", len(users), err)
		}
		docs := make([]string, len(users))
		for i, u := range users {
			docs[i] = u.UserID + " " + string(u.Doc)
		}
		return docs
	}
	if a, b := first(), first(); strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatalf("users differ between two runs with the same seed:\n%s\n%s", a[0], b[0])
	}
}
