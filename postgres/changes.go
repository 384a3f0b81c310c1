package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/userport/userport"
)

var _ userport.ChangeStore = (*DB)(nil)

// Change tracking (docs/design.md, "Change tracking"). A user's row and a
// tombstone carry the id (xid8) of the transaction that last wrote them. A
// watermark is a snapshot's xmin and xmax: every transaction below xmin has
// ended (its changes are visible to any later read, or were rolled back),
// so whatever a reader at the watermark could not see has an id of at least
// xmin; no transaction from xmax on had ended, and an export reads up to
// it only (a later one's changes go to the next export).
const (
	sqlWatermark = `SELECT pg_snapshot_xmin(s)::text, pg_snapshot_xmax(s)::text FROM pg_current_snapshot() AS s`
	sqlHorizon   = `SELECT mark::text FROM change_horizons WHERE tenant = $1`
	// sqlPurgeTombstones deletes a batch of the oldest tombstones and raises
	// each tenant's horizon to the highest mark among them, in one
	// statement; it returns how many it deleted.
	sqlPurgeTombstones = `WITH d AS (DELETE FROM tombstones WHERE (tenant, user_id) IN
			(SELECT tenant, user_id FROM tombstones WHERE deleted_at < $1 ORDER BY deleted_at LIMIT $2)
			RETURNING tenant, change_xid),
		h AS (INSERT INTO change_horizons (tenant, mark) SELECT tenant, max(change_xid) FROM d GROUP BY tenant
			ON CONFLICT (tenant) DO UPDATE SET mark = greatest(change_horizons.mark, excluded.mark))
		SELECT count(*) FROM d`
)

// purgeBatch is how many tombstones PurgeTombstones deletes in one statement.
const purgeBatch = 5000

// Watermark returns the xmin and xmax of a snapshot taken now: the
// server's history, of every tenant.
func (db *DB) Watermark(ctx context.Context, _ string) (userport.Watermark, error) {
	var low, high string
	err := db.query(ctx, func(ctx context.Context, c querier) error {
		return c.QueryRow(ctx, sqlWatermark).Scan(&low, &high)
	})
	if err != nil {
		return userport.Watermark{}, fmt.Errorf("watermark: %w", err)
	}
	var w userport.Watermark
	w.Low, err = strconv.ParseUint(low, 10, 64)
	if err == nil {
		w.High, err = strconv.ParseUint(high, 10, 64)
	}
	if err != nil {
		return userport.Watermark{}, fmt.Errorf("watermark: %w", err)
	}
	return w, nil
}

// changeArgs are the arguments $1 to $7 of sqlReadChanges and
// sqlReadTombstones: the marks as text.
func changeArgs(s userport.ChangeScan) []any {
	after, id := s.Start()
	mark := func(m uint64) string { return strconv.FormatUint(m, 10) }
	return []any{s.Tenant, mark(s.Since), mark(s.Until), mark(after), id, s.Limit, s.ConnectionID}
}

// ReadChanges reads one keyset page of changed users into p, with one query
// of its own (readPage, as ReadUsers).
func (db *DB) ReadChanges(ctx context.Context, s userport.ChangeScan, p *userport.UserPage) error {
	p.Reset()
	if s.Limit <= 0 {
		return fmt.Errorf("read changes: limit must be positive, got %d", s.Limit)
	}
	query, args := sqlReadChanges, changeArgs(s)
	if s.ConnectionID == "" {
		args = args[:6]
	} else {
		query = sqlReadConnChanges
	}
	if err := db.readPage(ctx, query, args, p); err != nil {
		return fmt.Errorf("read changes: %w", err)
	}
	return nil
}

// ReadTombstones reads one keyset page of the tombstones of users that do
// not exist.
func (db *DB) ReadTombstones(ctx context.Context, s userport.ChangeScan, p *userport.TombstonePage) error {
	p.Tombstones, p.LastMark, p.Last = p.Tombstones[:0], 0, ""
	if s.Limit <= 0 {
		return fmt.Errorf("read tombstones: limit must be positive, got %d", s.Limit)
	}
	err := db.query(ctx, func(ctx context.Context, c querier) error {
		rows, err := c.Query(ctx, sqlReadTombstones, changeArgs(s)...)
		if err != nil {
			return err
		}
		var ts userport.Tombstone
		var mark string
		_, err = pgx.ForEachRow(rows, []any{&ts.UserID, &ts.ConnectionID, &ts.DeletedAt, &mark}, func() error {
			m, err := strconv.ParseUint(mark, 10, 64)
			if err != nil {
				return err
			}
			ts.DeletedAt = ts.DeletedAt.UTC()
			p.Tombstones = append(p.Tombstones, ts)
			p.LastMark, p.Last = m, ts.UserID
			return nil
		})
		return err
	})
	if err != nil {
		p.Tombstones, p.LastMark, p.Last = p.Tombstones[:0], 0, ""
		return fmt.Errorf("read tombstones: %w", err)
	}
	return nil
}

// PurgeTombstones deletes the tombstones of users deleted before before, a
// batch a statement, raising each tenant's horizon in the same statement.
func (db *DB) PurgeTombstones(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		var n int64
		err := db.query(ctx, func(ctx context.Context, c querier) error {
			return c.QueryRow(ctx, sqlPurgeTombstones, before, purgeBatch).Scan(&n)
		})
		if err != nil {
			return total, fmt.Errorf("purge tombstones: %w", err)
		}
		total += n
		if n < purgeBatch {
			return total, nil
		}
	}
}

// TombstoneHorizon returns the highest mark of tenant's purged tombstones.
func (db *DB) TombstoneHorizon(ctx context.Context, tenant string) (uint64, error) {
	var mark string
	err := db.query(ctx, func(ctx context.Context, c querier) error {
		return c.QueryRow(ctx, sqlHorizon, tenant).Scan(&mark)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	} else if err != nil {
		return 0, fmt.Errorf("tombstone horizon: %w", err)
	}
	m, err := strconv.ParseUint(mark, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("tombstone horizon: %w", err)
	}
	return m, nil
}
