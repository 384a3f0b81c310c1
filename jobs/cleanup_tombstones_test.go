package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/jobs"
)

// TestCleanupPurgesTombstones: the cleanup purges the tombstones of users
// deleted longer ago than the tombstone retention, and only those, raising
// the tenant's horizon.
func TestCleanupPurgesTombstones(t *testing.T) {
	t.Parallel()
	e := setup(t, 3, jobs.Config{}, nil)
	e.stop(t, time.Second) // the test drives Cleanup itself
	ctx := context.Background()
	page := &userport.UserPage{}
	if err := e.store.ReadUsers(ctx, userport.UserScan{Tenant: "dev", Limit: 1}, page); err != nil {
		t.Fatal(err)
	}
	if err := e.store.DeleteUser(ctx, "dev", page.Last); err != nil {
		t.Fatal(err)
	}
	deleted := time.Now() // the stores stamp tombstones with the system clock
	tombstones := func() int {
		var p userport.TombstonePage
		if err := e.store.ReadTombstones(ctx, userport.ChangeScan{Tenant: "dev", Until: 1 << 62, Limit: 10}, &p); err != nil {
			t.Fatal(err)
		}
		return len(p.Tombstones)
	}
	retention := 48 * time.Hour
	e.clock.Set(deleted.Add(retention - time.Minute))
	if err := jobs.Cleanup(ctx, e.deps, userport.Lifetimes{Tombstones: retention}); err != nil {
		t.Fatal(err)
	}
	if n := tombstones(); n != 1 {
		t.Fatalf("%d tombstones within the retention, want 1", n)
	}
	e.clock.Advance(2 * time.Minute)
	if err := jobs.Cleanup(ctx, e.deps, userport.Lifetimes{Tombstones: retention}); err != nil {
		t.Fatal(err)
	}
	if n := tombstones(); n != 0 {
		t.Errorf("%d tombstones past the retention, want 0", n)
	}
	if h, err := e.store.TombstoneHorizon(ctx, "dev"); err != nil || h == 0 {
		t.Errorf("horizon %d, %v after the purge; want above 0", h, err)
	}
}
