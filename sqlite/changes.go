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
// file's write lock; writers begin IMMEDIATE). Each transaction that writes
// users advances the change counter once, in writeUsers, and stamps every
// user it writes and every tombstone it leaves with the new value: the
// marks of committed transactions are exactly those up to the counter a
// reader sees, and a later transaction's are above it.
const (
	qNextMark  = `UPDATE change_counter SET seq = seq + 1 WHERE id = 1 RETURNING seq`
	qWatermark = `SELECT seq FROM change_counter WHERE id = 1`
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

// markedTx is a transaction that writes users, and its change mark.
type markedTx struct {
	*sql.Tx
	mark int64
	// at is when its deletes happened, for their tombstones.
	at time.Time
}

// writeUsers runs fn in a transaction that advances the change counter
// first, and commits it: the one place a change mark is taken. An error of
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
	m := &markedTx{Tx: tx, at: time.Now()}
	// Without cancellation, as insertUsers' rows: the driver watches a
	// cancellable context with a goroutine per statement.
	if err := tx.QueryRowContext(context.WithoutCancel(ctx), qNextMark).Scan(&m.mark); err != nil {
		return fmt.Errorf("advance the change counter: %w", err)
	}
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
func (tx *markedTx) deleteUser(ctx context.Context, tenant, userID string) (bool, error) {
	ctx = context.WithoutCancel(ctx)
	var connectionID string
	err := tx.QueryRowContext(ctx, qDeleteUser, tenant, userID).Scan(&connectionID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	_, err = tx.ExecContext(ctx, qTombstone, tenant, userID, connectionID, tx.at.UnixMilli(), tx.mark)
	return err == nil, err
}

// Watermark returns the change counter.
func (db *DB) Watermark(ctx context.Context) (_ userport.Watermark, err error) {
	defer mapBusy(&err)
	var seq int64
	if err := db.read.QueryRowContext(ctx, qWatermark).Scan(&seq); err != nil {
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
