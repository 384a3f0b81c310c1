package seed

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/userport/userport"
)

// Batch is how many generated users go into one transaction.
const Batch = 5000

// Start is when the first user of `userport seed` was created: fixed, so
// that a seed gives the same users on every run.
var Start = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// Write writes n users from g into store in batches of Batch, through the
// store's bulk load when it has one (userport.LoadUsers). One goroutine
// generates the next batch while the current one is written; progress (nil:
// none) is told the size of each batch once it is written.
func Write(ctx context.Context, store userport.UserStore, g *Generator, n int, progress func(users int)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if progress == nil {
		progress = func(int) {}
	}
	if err := userport.LoadUsers(ctx, store, n, batches(ctx, g, n, progress)); err != nil {
		return fmt.Errorf("seed users: %w", err)
	}
	return ctx.Err()
}

// batches yields n users from g in batches of Batch, generated one batch
// ahead by a goroutine, and tells progress of each batch once it is written.
// A batch is reused after the loop body that received it returns.
func batches(ctx context.Context, g *Generator, n int, progress func(int)) iter.Seq[[]*userport.User] {
	return func(yield func([]*userport.User) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		full, free := make(chan []*userport.User, 1), make(chan []*userport.User, 2)
		free <- make([]*userport.User, Batch)
		free <- make([]*userport.User, Batch)
		go fill(ctx, g, n, free, full)
		defer func() { // let the generator end before g is dropped
			cancel()
			for range full {
			}
		}()
		for b := range full {
			if !yield(b) {
				return
			}
			progress(len(b))
			free <- b[:cap(b)]
		}
	}
}

// fill fills the batches it takes from free with n users from g in all and
// sends them to full, which it closes at the end or when ctx is done.
func fill(ctx context.Context, g *Generator, n int, free <-chan []*userport.User, full chan<- []*userport.User) {
	defer close(full)
	for done := 0; done < n; {
		var b []*userport.User
		select {
		case b = <-free:
		case <-ctx.Done():
			return
		}
		b = b[:min(Batch, n-done)]
		g.Fill(b)
		full <- b
		done += len(b)
	}
}

// EnsureConnection finds tenant's connection of that name, creating a
// database connection of that name when there is none; a name the API would
// refuse (userport.CheckConnectionName) is EINVALID and creates nothing.
func EnsureConnection(ctx context.Context, s userport.ConnectionStore, tenant, name string, clock userport.Clock) (*userport.Connection, error) {
	c, err := s.FindConnectionByName(ctx, tenant, name)
	if userport.ErrorCode(err) != userport.ENOTFOUND {
		return c, err
	}
	if issue := userport.CheckConnectionName(name); issue != nil {
		return nil, userport.Errorf(userport.EINVALID, "invalid_body", "Connection name %s: %s", userport.Excerpt(name), issue.Message)
	}
	c = &userport.Connection{Tenant: tenant, ID: userport.NewConnectionID(), Name: name, Strategy: "auth0", CreatedAt: clock.Now()}
	if err := s.CreateConnection(ctx, c); err != nil {
		return nil, fmt.Errorf("create connection %s: %w", name, err)
	}
	return c, nil
}
