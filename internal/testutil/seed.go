package testutil

import (
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/seed"
)

// SeedStart is when the first user Seed writes was created.
var SeedStart = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// Seed writes n users of seed.New(1, tenant, conn, SeedStart) into store,
// through its bulk load, in batches of 1000: the users `userport seed`
// writes.
func Seed(t testing.TB, store userport.UserStore, tenant string, conn *userport.Connection, n int) {
	t.Helper()
	g := seed.New(1, tenant, conn, SeedStart)
	batches := func(yield func([]*userport.User) bool) {
		batch := make([]*userport.User, 1000)
		for left := n; left > 0; left -= len(batch) {
			batch = batch[:min(left, len(batch))]
			g.Fill(batch)
			if !yield(batch) {
				return
			}
		}
	}
	if err := userport.LoadUsers(t.Context(), store, n, batches); err != nil {
		t.Fatalf("seed %d users: %v", n, err)
	}
}
