package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/userport/userport"
)

// sqlReplacePart writes one part (userport.PartArgs).
var sqlReplacePart = `REPLACE INTO export_parts (` + userport.PartColumns + `) VALUES (` + marks(userport.PartColumnCount) + `)`

// SampleUsers returns every k-th user_id of the tenant's (or the
// connection's) users, k = their count / size rounded up (every user_id
// when they are size or fewer), each weighing count / their number. The
// count and the k-steps read a covering index, not the users' rows, on
// the read-only pool.
func (db *DB) SampleUsers(ctx context.Context, tenant, connectionID string, size int) (_ userport.UserSample, err error) {
	defer mapBusy(&err)
	if size <= 0 {
		return userport.UserSample{}, fmt.Errorf("sample users: size must be positive, got %d", size)
	}
	count, err := db.CountUsers(ctx, tenant, connectionID)
	if err != nil {
		return userport.UserSample{}, err
	}
	every := max(1, (count+int64(size)-1)/int64(size))
	var ids []string
	after := ""
	for {
		var row *sql.Row
		if connectionID == "" {
			row = db.read.QueryRowContext(ctx, qUserCut, tenant, after, every-1)
		} else {
			row = db.read.QueryRowContext(ctx, qConnUserCut, tenant, connectionID, after, every-1)
		}
		err := row.Scan(&after)
		if errors.Is(err, sql.ErrNoRows) {
			break
		} else if err != nil {
			return userport.UserSample{}, fmt.Errorf("sample users: %w", err)
		}
		ids = append(ids, after)
	}
	sample := userport.UserSample{IDs: ids, Weight: 1}
	if len(ids) > 0 {
		sample.Weight = float64(count) / float64(len(ids))
	}
	return sample, nil
}

// partArgs are p's values in userport.PartColumns order.
func partArgs(p *userport.ExportPart) ([]any, error) {
	return userport.PartArgs(p, func(t time.Time) any { return toMillis(t) })
}

// CreateExportParts inserts a job's parts in one transaction: ECONFLICT if
// the job has parts already.
func (db *DB) CreateExportParts(ctx context.Context, parts []*userport.ExportPart) (err error) {
	defer mapBusy(&err)
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create export parts: %w", err)
	}
	defer rollback(tx)
	for _, p := range parts {
		args, err := partArgs(p)
		if err != nil {
			return fmt.Errorf("create export parts: %w", err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO export_parts (`+userport.PartColumns+`) VALUES (`+marks(userport.PartColumnCount)+`)`, args...)
		if isConflict(err) {
			return userport.Errorf(userport.ECONFLICT, "", "The export %s has parts already.", p.JobID)
		} else if err != nil {
			return fmt.Errorf("create export parts: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create export parts: commit: %w", err)
	}
	return nil
}

// ListExportParts returns a job's parts in index order.
func (db *DB) ListExportParts(ctx context.Context, tenant, jobID string) (_ []*userport.ExportPart, err error) {
	defer mapBusy(&err)
	rows, err := db.db.QueryContext(ctx, `SELECT `+userport.PartColumns+` FROM export_parts WHERE tenant = ? AND job_id = ? ORDER BY idx`, tenant, jobID)
	if err != nil {
		return nil, fmt.Errorf("list export parts: %w", err)
	}
	defer rows.Close()
	var parts []*userport.ExportPart
	for rows.Next() {
		p, err := userport.ScanPart(row(rows.Scan))
		if err != nil {
			return nil, fmt.Errorf("list export parts: %w", err)
		}
		parts = append(parts, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list export parts: %w", err)
	}
	return parts, nil
}

// UpdateExportPart reads a part, lets fn change it and writes it back, in
// one transaction. The part keeps its job and index whatever fn does.
func (db *DB) UpdateExportPart(ctx context.Context, tenant, jobID string, index int, fn func(p *userport.ExportPart) error) (_ *userport.ExportPart, err error) {
	defer mapBusy(&err)
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("update export part: %w", err)
	}
	defer rollback(tx)
	p, err := userport.ScanPart(row(tx.QueryRowContext(ctx, `SELECT `+userport.PartColumns+` FROM export_parts
		WHERE tenant = ? AND job_id = ? AND idx = ?`, tenant, jobID, index).Scan))
	if userport.ErrorCode(err) == userport.ENOTFOUND {
		return nil, err
	} else if err != nil {
		return nil, fmt.Errorf("update export part: %w", err)
	}
	if err := fn(p); err != nil {
		return nil, err
	}
	p.Tenant, p.JobID, p.Index = tenant, jobID, index
	p.HeartbeatAt = fromMillis(toMillis(p.HeartbeatAt))
	args, err := partArgs(p)
	if err != nil {
		return nil, fmt.Errorf("update export part: %w", err)
	}
	if _, err := tx.ExecContext(ctx, sqlReplacePart, args...); err != nil {
		return nil, fmt.Errorf("update export part: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("update export part: commit: %w", err)
	}
	return p, nil
}
