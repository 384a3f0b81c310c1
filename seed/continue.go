package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/userport/userport"
)

// From makes the generator's next user its user i, created about
// start + i*MeanInterval: its user id, e-mail address and username follow
// those of users 0 to i-1 of the same seed and never repeat theirs. The
// profiles drawn are not those a generator that made users 0 to i-1 would
// draw next: only the identifiers continue.
func (g *Generator) From(i uint64) {
	g.ms += (int64(i) - int64(g.n)) * MeanInterval.Milliseconds()
	g.n = i
}

// Continue returns a generator (seed, tenant, conn, first user at start,
// as New) whose users follow those the tenant holds already, and how many
// it holds: it starts at user number held (From), so that seeding a
// second time adds fresh users rather than failing on the ids, e-mail
// addresses and usernames of the first. (A tenant whose seeded users were
// deleted in part may hold fewer users than were seeded: seed it with
// another seed.)
func Continue(ctx context.Context, store userport.UserStore, seed int64, tenant string, conn *userport.Connection, start time.Time) (*Generator, int64, error) {
	held, err := store.CountUsers(ctx, tenant, "")
	if err != nil {
		return nil, 0, fmt.Errorf("count the users held: %w", err)
	}
	g := New(seed, tenant, conn, start)
	g.From(uint64(held))
	return g, held, nil
}
