package userport

import (
	"context"
	"time"
)

// Change tracking, for incremental exports.
//
// Every write of a user (create, update, import insert or upsert, bulk
// load) stamps the user's row with a change mark, and every delete (one
// user, or a connection's purge) leaves a Tombstone stamped the same way,
// in the same transaction. A Watermark, taken before an export reads
// anything, names the point of the database's history the export is
// consistent with: a later export given it as Since reads every user whose
// last change a reader at the watermark could not see, and every tombstone
// likewise (and may read some it could: replay is idempotent).
//
// What a mark is belongs to the store (docs/design.md, "Change tracking"):
// on SQLite, whose writers run one at a time, the tenant's highest mark
// plus one, read under the write lock; on PostgreSQL, where transactions commit in another
// order than they start, the writing transaction's id (xid8), and a
// watermark's Low is the xmin of a snapshot (every transaction below it has
// ended), its High the snapshot's xmax.

// Watermark is a point of the database's change history.
type Watermark struct {
	// Low is what an export's cursor keeps: every change with a mark below
	// it (SQLite: up to it) was visible when the watermark was taken.
	Low uint64
	// High bounds what one export reads: changes marked above it (SQLite)
	// or from it on (PostgreSQL) came later and are left to the next export,
	// so that an export never chases users that keep changing.
	High uint64
}

// Tombstone is a deleted user, kept for incremental exports until the
// tombstone retention has passed.
type Tombstone struct {
	UserID       string
	ConnectionID string
	DeletedAt    time.Time
}

// ChangeScan selects one keyset page of a tenant's users changed since an
// earlier watermark's Low and up to this export's High, in (mark, user_id)
// order.
type ChangeScan struct {
	Tenant       string
	ConnectionID string // "" for all connections
	Since        uint64 // the Low of the earlier export's watermark
	Until        uint64 // the High of this export's watermark
	// AfterMark and AfterID are the mark and user_id of the previous page's
	// last row (UserPage.LastKey, decimal, and UserPage.Last); AfterID ""
	// for the first page.
	AfterMark uint64
	AfterID   string
	Limit     int // page size, > 0
}

// Start returns the (mark, user_id) the page starts after: AfterMark and
// AfterID, or (Since, "") for the first page, which every change of the
// range follows on both stores (marks from Since on, user_ids not empty).
func (s ChangeScan) Start() (uint64, string) {
	if s.AfterID == "" {
		return s.Since, ""
	}
	return s.AfterMark, s.AfterID
}

// TombstonePage is one keyset page of tombstones, in (mark, user_id) order.
type TombstonePage struct {
	Tombstones []Tombstone
	LastMark   uint64 // the next page's ChangeScan.AfterMark
	Last       string // the next page's ChangeScan.AfterID
}

// ChangeStore is a store's change tracking.
type ChangeStore interface {
	// Watermark returns the current point of tenant's change history (on
	// SQLite a tenant has a history of its own; PostgreSQL's is the
	// server's, whatever the tenant).
	Watermark(ctx context.Context, tenant string) (Watermark, error)
	// ReadChanges replaces p's documents with one keyset page of the users
	// s selects, sets p.Last to the last user_id and p.LastKey to its mark
	// (decimal). A page shorter than s.Limit is the last one. It reads an
	// index of marks, never the tenant's unchanged users.
	ReadChanges(ctx context.Context, s ChangeScan, p *UserPage) error
	// ReadTombstones returns one keyset page of the tombstones s selects
	// whose user does not exist (any more) when it reads them. A page
	// shorter than s.Limit is the last one.
	ReadTombstones(ctx context.Context, s ChangeScan, p *TombstonePage) error
	// PurgeTombstones deletes the tombstones of users deleted before
	// before, raising each tenant's horizon past their marks, and returns
	// how many it deleted.
	PurgeTombstones(ctx context.Context, before time.Time) (int64, error)
	// TombstoneHorizon returns the highest mark of tenant's purged
	// tombstones (0 when none was purged): a cursor whose Low is below it
	// has lost deletions (CursorCheck).
	TombstoneHorizon(ctx context.Context, tenant string) (uint64, error)
}
