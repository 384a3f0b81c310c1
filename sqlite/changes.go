package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/userport/userport"
)

var _ userport.ChangeStore = (*DB)(nil)

// Change tracking (docs/design.md, "Change tracking"). SQLite runs one
// writing transaction at a time, across connections and processes (the
// file's write lock; writers begin IMMEDIATE). A tenant's change mark is
// the highest mark of its history: of its users, of its tombstones, of its
// purged tombstones (the horizon), and no lower than the counter of
// migration 0011, which no longer moves (every mark handed out while it
// did is at most it). Each transaction that writes a tenant's users
// stamps every user it writes and every tombstone it leaves with that mark
// plus one, read in the transaction: the marks of committed transactions
// are exactly those up to the mark a reader sees, and a later transaction's
// are above it. No write touches a page for the mark beyond the users' and
// tombstones' own index entries, and a single user's create or update is
// one prepared statement that reads the mark itself, with no BEGIN and
// COMMIT around it: the counter's UPDATE and the transaction cost them
// about 40 % of their CPU time (docs/benchmarks.md, Session 10
// (changes-perf)).
//
// The highest mark never goes down: an update stamps a higher one, a
// delete leaves a tombstone with a higher one, a purged tombstone's mark
// goes to the horizon. Every statement that deletes users leaves their
// tombstones (deleteUser).
const (
	// qMark is a tenant's highest mark (markOf, userqueries.go).
	qMark      = `SELECT ` + markOf
	qTombstone = `INSERT INTO tombstones (tenant, user_id, connection_id, deleted_at, change_seq) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (tenant, user_id) DO UPDATE SET connection_id = excluded.connection_id,
			deleted_at = excluded.deleted_at, change_seq = excluded.change_seq`
	qHorizon = `SELECT mark FROM change_horizons WHERE tenant = ?`
	// The cleanup's purge, a batch at a time: the oldest tombstones, the
	// highest mark of each tenant's among them, then their rows.
	qOldTombstones = `SELECT tenant, user_id, change_seq FROM tombstones INDEXED BY tombstones_deleted
		WHERE deleted_at < ? ORDER BY deleted_at LIMIT ?`
	qRaiseHorizon = `INSERT INTO change_horizons (tenant, mark) VALUES (?, ?)
		ON CONFLICT (tenant) DO UPDATE SET mark = max(mark, excluded.mark)`
	qDeleteTombstone = `DELETE FROM tombstones WHERE tenant = ? AND user_id = ?`
)

// purgeBatch is how many tombstones PurgeTombstones deletes in one
// transaction: other writers wait for one batch, not the whole purge.
const purgeBatch = 5000

// markedTx is a transaction that writes users, and its change marks.
type markedTx struct {
	*sql.Tx
	marks map[string]int64 // by tenant, once read (mark)
	// at is when its deletes happened, for their tombstones.
	at time.Time
}

// mark returns the change mark of the transaction's writes of tenant's
// users: the tenant's highest mark plus one, read once (the transaction
// holds the write lock, so no other writer commits meanwhile), and before
// the transaction deletes any of tenant's users (deleteUser). The
// statement runs without cancellation, as insertUsers' rows: the driver
// watches a cancellable context with a goroutine per statement.
func (tx *markedTx) mark(ctx context.Context, tenant string) (int64, error) {
	if m, ok := tx.marks[tenant]; ok {
		return m, nil
	}
	ctx = context.WithoutCancel(ctx)
	var m int64
	if err := tx.QueryRowContext(ctx, qMark, tenant).Scan(&m); err != nil {
		return 0, fmt.Errorf("change mark: %w", err)
	}
	m++
	tx.marks[tenant] = m
	return m, nil
}

// writeUsers runs fn in a transaction whose writes of users take their
// change marks from markedTx.mark, and commits it: the one place a change
// mark is taken. An error of
// the domain (a conflict, a user not found) is returned as is, any other
// prefixed with what.
func (db *DB) writeUsers(ctx context.Context, what string, fn func(tx *markedTx) error) error {
	db.wait.begin(time.Now()) // an import's transaction commits for it (waitSignal)
	err := db.inMarkedTx(ctx, fn)
	if err != nil && userport.ErrorCode(err) == userport.EINTERNAL {
		return fmt.Errorf("%s: %w", what, err)
	}
	return err
}

// inMarkedTx is writeUsers, fn's error returned as is.
func (db *DB) inMarkedTx(ctx context.Context, fn func(tx *markedTx) error) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer rollback(tx)
	m := &markedTx{Tx: tx, marks: map[string]int64{}, at: time.Now()}
	if err := fn(m); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// deleteUser deletes a user and leaves its tombstone: false if there was
// no such user. Its statements run without cancellation (a purge runs
// thousands): the caller checks ctx between users.
//
// The mark is read before the user is deleted: the user may hold the
// tenant's highest mark, which a reader may have seen as its watermark, and
// a mark read after the delete would be that one again (or lower), below
// what the next export reads (storetest ChangesReplay caught it: a deleted
// user kept by the replica, about one run in fifteen).
func (tx *markedTx) deleteUser(ctx context.Context, tenant, userID string) (bool, error) {
	ctx = context.WithoutCancel(ctx)
	mark, err := tx.mark(ctx, tenant)
	if err != nil {
		return false, err
	}
	var connectionID string
	err = tx.QueryRowContext(ctx, qDeleteUser, tenant, userID).Scan(&connectionID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	_, err = tx.ExecContext(ctx, qTombstone, tenant, userID, connectionID, tx.at.UnixMilli(), mark)
	return err == nil, err
}

// Watermark returns tenant's highest mark, read in one statement (one
// snapshot).
func (db *DB) Watermark(ctx context.Context, tenant string) (_ userport.Watermark, err error) {
	defer mapBusy(&err)
	var seq int64
	if err := db.read.QueryRowContext(ctx, qMark, tenant).Scan(&seq); err != nil {
		return userport.Watermark{}, fmt.Errorf("watermark: %w", err)
	}
	return userport.Watermark{Low: uint64(seq), High: uint64(seq)}, nil
}

// changeArgs are the arguments ?1 to ?7 of qReadChanges and qReadTombstones.
func changeArgs(s userport.ChangeScan) []any {
	mark, id := s.Start()
	return []any{s.Tenant, int64(s.Since), int64(s.Until), int64(mark), id, s.Limit, s.ConnectionID}
}

// ReadChanges reads one keyset page of changed users into p, on a scan
// connection (as ReadUsers).
func (db *DB) ReadChanges(ctx context.Context, s userport.ChangeScan, p *userport.UserPage) (err error) {
	defer mapBusy(&err)
	p.Reset()
	if s.Limit <= 0 {
		return fmt.Errorf("read changes: limit must be positive, got %d", s.Limit)
	}
	query, args := qReadChanges, changeArgs(s)
	if s.ConnectionID == "" {
		args = args[:6]
	} else {
		query = qReadConnChanges
	}
	sc, err := db.scan.get(ctx)
	if err != nil {
		return fmt.Errorf("read changes: %w", err)
	}
	err = sc.readKeys(ctx, query, args, p, func(n int64) string { return strconv.FormatInt(n, 10) })
	db.scan.put(sc)
	if err != nil {
		p.Reset()
		return fmt.Errorf("read changes: %w", err)
	}
	return nil
}

// ReadTombstones reads one keyset page of the tombstones of users that do
// not exist.
func (db *DB) ReadTombstones(ctx context.Context, s userport.ChangeScan, p *userport.TombstonePage) (err error) {
	defer mapBusy(&err)
	p.Tombstones, p.LastMark, p.Last = p.Tombstones[:0], 0, ""
	if s.Limit <= 0 {
		return fmt.Errorf("read tombstones: limit must be positive, got %d", s.Limit)
	}
	rows, err := db.read.QueryContext(ctx, qReadTombstones, changeArgs(s)...)
	if err != nil {
		return fmt.Errorf("read tombstones: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ts userport.Tombstone
		var at, mark int64
		if err := rows.Scan(&ts.UserID, &ts.ConnectionID, &at, &mark); err != nil {
			return fmt.Errorf("read tombstones: %w", err)
		}
		ts.DeletedAt = time.UnixMilli(at).UTC()
		p.Tombstones = append(p.Tombstones, ts)
		p.LastMark, p.Last = uint64(mark), ts.UserID
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read tombstones: %w", err)
	}
	return nil
}

// PurgeTombstones deletes the tombstones of users deleted before before, a
// batch a transaction, raising each tenant's horizon to the highest mark it
// deletes in the same transaction.
func (db *DB) PurgeTombstones(ctx context.Context, before time.Time) (_ int64, err error) {
	defer mapBusy(&err)
	var total int64
	for {
		n, err := db.purgeTombstones(ctx, before.UnixMilli())
		if err != nil {
			return total, fmt.Errorf("purge tombstones: %w", err)
		}
		total += int64(n)
		if n < purgeBatch {
			return total, nil
		}
	}
}

// purgeTombstones deletes one batch of old tombstones, in one transaction.
func (db *DB) purgeTombstones(ctx context.Context, before int64) (int, error) {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer rollback(tx)
	rows, err := tx.QueryContext(ctx, qOldTombstones, before, purgeBatch)
	if err != nil {
		return 0, err
	}
	type key struct{ tenant, userID string }
	var keys []key
	horizons := map[string]int64{}
	for rows.Next() {
		var k key
		var mark int64
		if err := rows.Scan(&k.tenant, &k.userID, &mark); err != nil {
			rows.Close()
			return 0, err
		}
		keys = append(keys, k)
		horizons[k.tenant] = max(horizons[k.tenant], mark)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, err
	}
	for tenant, mark := range horizons {
		if _, err := tx.ExecContext(ctx, qRaiseHorizon, tenant, mark); err != nil {
			return 0, err
		}
	}
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, qDeleteTombstone, k.tenant, k.userID); err != nil {
			return 0, err
		}
	}
	return len(keys), tx.Commit()
}

// TombstoneHorizon returns the highest mark of tenant's purged tombstones.
func (db *DB) TombstoneHorizon(ctx context.Context, tenant string) (_ uint64, err error) {
	defer mapBusy(&err)
	var mark int64
	err = db.read.QueryRowContext(ctx, qHorizon, tenant).Scan(&mark)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	} else if err != nil {
		return 0, fmt.Errorf("tombstone horizon: %w", err)
	}
	return uint64(mark), nil
}
