package seed_test

import (
	"testing"

	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/seed"
)

// TestSeedTwice: seeding a store that holds users adds fresh ones, with the
// same seed or another (issue 25, case 4).
func TestSeedTwice(t *testing.T) {
	t.Parallel()
	e := testutil.NewEmbedded(t)
	ctx := t.Context()
	for i, run := range []struct {
		seed int64
		n    int
	}{{1, 3000}, {1, 2000}, {7, 1000}, {1, 1}} {
		g, held, err := seed.Continue(ctx, e.Store, run.seed, "dev", e.Conn, seed.Start)
		if err != nil {
			t.Fatal(err)
		}
		if err := seed.Write(ctx, e.Store, g, run.n, nil); err != nil {
			t.Fatalf("run %d (seed %d, %d users over %d): %v", i, run.seed, run.n, held, err)
		}
		n, err := e.Store.CountUsers(ctx, "dev", "")
		if err != nil || n != held+int64(run.n) {
			t.Fatalf("run %d: %d users held, %v; want %d", i, n, err, held+int64(run.n))
		}
	}
}

// TestFrom: a generator started at user i gives the identifiers of user i
// onwards, never those of users 0 to i-1.
func TestFrom(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	g := newGen(3)
	for range 500 {
		u := g.Next()
		seen[u.UserID], seen[u.Email] = true, true
		if u.Username != "" {
			seen[u.Username] = true
		}
	}
	g = newGen(3)
	g.From(500)
	for range 500 {
		u := g.Next()
		for _, v := range []string{u.UserID, u.Email, u.Username} {
			if seen[v] {
				t.Fatalf("user %s repeats %q of the first 500", u.UserID, v)
			}
		}
	}
}
