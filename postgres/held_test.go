package postgres

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userport/userport"
	"github.com/userport/userport/storetest"
)

// heldWriter is storetest.HeldWriter on a transaction of db's pool that
// writes users with the store's own statements (copyUsers, sqlUpdateUser),
// for the replay property test: a test-only hook.
type heldWriter struct {
	c  *pgxpool.Conn
	tx pgx.Tx
}

// HoldWrites begins a transaction on a connection of s's pool, rolled back
// and released when t ends unless committed.
func HoldWrites(t *testing.T, s userport.Store) storetest.HeldWriter {
	t.Helper()
	db := s.(*DB)
	c, err := db.acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	tx, err := c.Begin(t.Context())
	if err != nil {
		c.Release()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		rollback(context.Background(), tx)
		c.Release()
	})
	return &heldWriter{c: c, tx: tx}
}

// Create inserts users in the transaction, as CreateUsers does.
func (h *heldWriter) Create(ctx context.Context, users ...*userport.User) error {
	return copyUsers(ctx, h.tx, users)
}

// Update replaces a user in the transaction, as UpdateUser does.
func (h *heldWriter) Update(ctx context.Context, u *userport.User) error {
	_, err := h.tx.Exec(ctx, sqlUpdateUser, u.Tenant, u.UserID, u.ConnectionID, u.Email, u.Username,
		u.PasswordHash, toTime(u.CreatedAt), toTime(u.UpdatedAt), string(u.Doc))
	return err
}

// Commit commits the transaction.
func (h *heldWriter) Commit(ctx context.Context) error { return h.tx.Commit(ctx) }

// TestWatermarkHeldTransaction shows why a watermark is a snapshot's xmin
// and not the highest mark an export saw (what a sequence would give): a
// transaction that began before a later one and commits after it is
// invisible to an export that runs in between, and its mark is below the
// later one's. An incremental export since the xmin reads its user; one
// since the highest mark seen never would.
func TestWatermarkHeldTransaction(t *testing.T) {
	_, db, _ := explainDB(t)
	ctx := t.Context()
	createUsers(t, db, 10)
	h := HoldWrites(t, db)
	held := &userport.User{Tenant: "t0", UserID: "auth0|held", ConnectionID: "con_0", Email: "held@example.com", Doc: []byte(`{"user_id":"auth0|held"}`)}
	if err := h.Create(ctx, held); err != nil {
		t.Fatal(err)
	}
	later := &userport.User{Tenant: "t0", UserID: "auth0|later", ConnectionID: "con_0", Email: "later@example.com", Doc: []byte(`{"user_id":"auth0|later"}`)}
	if err := db.CreateUsers(ctx, later); err != nil {
		t.Fatal(err)
	}
	// The export: its watermark, and the highest mark it sees; the held
	// user is not there.
	w, err := db.Watermark(ctx, "t0")
	if err != nil {
		t.Fatal(err)
	}
	var seen string
	if err := db.pool.QueryRow(ctx, `SELECT max(change_xid)::text FROM users WHERE tenant = 't0'`).Scan(&seen); err != nil {
		t.Fatal(err)
	}
	highest, err := strconv.ParseUint(seen, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.FindUser(ctx, "t0", held.UserID); userport.ErrorCode(err) != userport.ENOTFOUND {
		t.Fatalf("FindUser of the held user before its commit: %v, want not found", err)
	}
	if err := h.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	now, err := db.Watermark(ctx, "t0")
	if err != nil {
		t.Fatal(err)
	}
	ids := func(s userport.ChangeScan) []string {
		t.Helper()
		s.Tenant, s.Until, s.Limit = "t0", now.High, 100
		var p userport.UserPage
		if err := db.ReadChanges(ctx, s, &p); err != nil {
			t.Fatal(err)
		}
		var out []string
		for i := range p.Len() {
			var d struct {
				UserID string `json:"user_id"`
			}
			if err := json.Unmarshal(p.Doc(i), &d); err != nil {
				t.Fatal(err)
			}
			out = append(out, d.UserID)
		}
		return out
	}
	if got := ids(userport.ChangeScan{Since: w.Low}); !slices.Contains(got, held.UserID) {
		t.Errorf("changes since the xmin %d = %q, want the held user among them", w.Low, got)
	}
	if got := ids(userport.ChangeScan{Since: highest + 1}); slices.Contains(got, held.UserID) {
		t.Errorf("changes after the highest mark seen, %d = %q: the held user is there, want it missed (the test shows nothing)", highest, got)
	}
}
