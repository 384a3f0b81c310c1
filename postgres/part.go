package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/userport/userport"
)

const partColumns = `tenant, job_id, idx, after_id, until_id, status, runner, heartbeat_at, done,
	file_key, row_count, file_bytes`

const partPlaceholders = `$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12`

// UserCuts returns the every-th, 2*every-th, ... user_id of the tenant's (or
// the connection's) users, at most max of them: each is one keyset step of
// every users from the one before, an index-only scan of the key index.
func (db *DB) UserCuts(ctx context.Context, tenant, connectionID string, every int64, max int) ([]string, error) {
	if every <= 0 {
		return nil, fmt.Errorf("user cuts: every must be positive, got %d", every)
	}
	var cuts []string
	err := db.query(ctx, func(ctx context.Context, c querier) error {
		after := ""
		for len(cuts) < max {
			var row pgx.Row
			if connectionID == "" {
				row = c.QueryRow(ctx, sqlUserCut, tenant, after, every-1)
			} else {
				row = c.QueryRow(ctx, sqlConnUserCut, tenant, connectionID, after, every-1)
			}
			err := row.Scan(&after)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			} else if err != nil {
				return err
			}
			cuts = append(cuts, after)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("user cuts: %w", err)
	}
	return cuts, nil
}

// partArgs are p's values in partColumns order.
func partArgs(p *userport.ExportPart) []any {
	return []any{p.Tenant, p.JobID, p.Index, p.After, p.Until, string(p.Status), p.Runner,
		toTime(p.HeartbeatAt), p.Done, p.FileKey, p.Rows, p.FileBytes}
}

// scanPart reads the partColumns of one row.
func scanPart(row pgx.Row) (*userport.ExportPart, error) {
	var p userport.ExportPart
	var heartbeat *time.Time
	err := row.Scan(&p.Tenant, &p.JobID, &p.Index, &p.After, &p.Until, &p.Status, &p.Runner, &heartbeat,
		&p.Done, &p.FileKey, &p.Rows, &p.FileBytes)
	p.HeartbeatAt = fromTime(heartbeat)
	return &p, err
}

// CreateExportParts inserts a job's parts in one transaction: ECONFLICT if
// the job has parts already.
func (db *DB) CreateExportParts(ctx context.Context, parts []*userport.ExportPart) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		for _, p := range parts {
			_, err := tx.Exec(ctx, `INSERT INTO export_parts (`+partColumns+`) VALUES (`+partPlaceholders+`)`, partArgs(p)...)
			if isConflict(err) {
				return userport.Errorf(userport.ECONFLICT, "", "The export %s has parts already.", p.JobID)
			} else if err != nil {
				return err
			}
		}
		return nil
	})
	if userport.ErrorCode(err) == userport.ECONFLICT {
		return err
	} else if err != nil {
		return fmt.Errorf("create export parts: %w", dbError(err))
	}
	return nil
}

// ListExportParts returns a job's parts in index order.
func (db *DB) ListExportParts(ctx context.Context, tenant, jobID string) ([]*userport.ExportPart, error) {
	var parts []*userport.ExportPart
	err := db.query(ctx, func(ctx context.Context, q querier) error {
		rows, err := q.Query(ctx, `SELECT `+partColumns+` FROM export_parts WHERE tenant = $1 AND job_id = $2 ORDER BY idx`, tenant, jobID)
		if err != nil {
			return err
		}
		parts, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*userport.ExportPart, error) { return scanPart(row) })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list export parts: %w", err)
	}
	return parts, nil
}

// UpdateExportPart reads a part, locking its row, lets fn change it and
// writes it back, in one transaction. The part keeps its job and index
// whatever fn does.
func (db *DB) UpdateExportPart(ctx context.Context, tenant, jobID string, index int, fn func(p *userport.ExportPart) error) (*userport.ExportPart, error) {
	var p *userport.ExportPart
	var fnErr error
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		p, err = scanPart(tx.QueryRow(ctx, `SELECT `+partColumns+` FROM export_parts
			WHERE tenant = $1 AND job_id = $2 AND idx = $3 FOR UPDATE`, tenant, jobID, index))
		if errors.Is(err, pgx.ErrNoRows) {
			return userport.ErrPartNotFound()
		} else if err != nil {
			return err
		}
		if fnErr = fn(p); fnErr != nil {
			return fnErr
		}
		p.Tenant, p.JobID, p.Index = tenant, jobID, index
		p.HeartbeatAt = fromTime(toTime(p.HeartbeatAt))
		_, err = tx.Exec(ctx, `UPDATE export_parts SET (`+partColumns+`) = (`+partPlaceholders+`)
			WHERE tenant = $1 AND job_id = $2 AND idx = $3`, partArgs(p)...)
		return err
	})
	if fnErr != nil {
		return nil, fnErr
	} else if userport.ErrorCode(err) == userport.ENOTFOUND {
		return nil, err
	} else if err != nil {
		return nil, fmt.Errorf("update export part: %w", dbError(err))
	}
	return p, nil
}
