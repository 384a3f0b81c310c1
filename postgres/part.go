package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/userport/userport"
)

// partPlaceholders are $1, $2, ... for every userport.PartColumns.
var partPlaceholders = placeholders(userport.PartColumnCount)

const (
	// guessRowsPerPage is the rows per page of users assumed before the
	// first VACUUM or ANALYZE: 8 KB pages of profiles of about 0.9 KB
	// (seeded ones).
	guessRowsPerPage = 8
	// sampleMinPages is the fewest pages a sample reads (8 MB, a few
	// milliseconds), so that a small tenant's users, which may share a few
	// pages, are not missed by chance: a table of fewer is read whole.
	sampleMinPages = 1000
)

// SampleUsers samples the pages of users (TABLESAMPLE SYSTEM): as many as
// hold about size rows by the table's size and its rows per page, at least
// sampleMinPages, every page of a small table, and returns the tenant's (or
// connection's) user_ids in them. Each stands for 100 / the sampled
// percentage of the pages users.
func (db *DB) SampleUsers(ctx context.Context, tenant, connectionID string, size int) (userport.UserSample, error) {
	if size <= 0 {
		return userport.UserSample{}, fmt.Errorf("sample users: size must be positive, got %d", size)
	}
	var sample userport.UserSample
	err := db.query(ctx, func(ctx context.Context, c querier) error {
		var pages int64
		var perPage float64
		if err := c.QueryRow(ctx, sqlUsersPages).Scan(&pages, &perPage); err != nil {
			return err
		}
		if perPage <= 0 {
			perPage = guessRowsPerPage
		}
		percent := 100.0
		if pages > sampleMinPages {
			percent = min(100, max(100*float64(size)/(float64(pages)*perPage), 100*sampleMinPages/float64(pages)))
		}
		query, args := sqlSampleUsers, []any{tenant, percent}
		if connectionID != "" {
			query, args = sqlSampleConnUsers, []any{tenant, connectionID, percent}
		}
		rows, _ := c.Query(ctx, query, args...)
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		sample = userport.UserSample{IDs: ids, Weight: 100 / percent}
		return err
	})
	if err != nil {
		return userport.UserSample{}, fmt.Errorf("sample users: %w", err)
	}
	return sample, nil
}

// partArgs are p's values in userport.PartColumns order.
func partArgs(p *userport.ExportPart) ([]any, error) {
	return userport.PartArgs(p, func(t time.Time) any { return toTime(t) })
}

// CreateExportParts inserts a job's parts in one transaction: ECONFLICT if
// the job has parts already.
func (db *DB) CreateExportParts(ctx context.Context, parts []*userport.ExportPart) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		for _, p := range parts {
			args, err := partArgs(p)
			if err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `INSERT INTO export_parts (`+userport.PartColumns+`) VALUES (`+partPlaceholders+`)`, args...)
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
		rows, err := q.Query(ctx, `SELECT `+userport.PartColumns+` FROM export_parts WHERE tenant = $1 AND job_id = $2 ORDER BY idx`, tenant, jobID)
		if err != nil {
			return err
		}
		parts, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*userport.ExportPart, error) { return userport.ScanPart(row{r}) })
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
		p, err = userport.ScanPart(row{tx.QueryRow(ctx, `SELECT `+userport.PartColumns+` FROM export_parts
			WHERE tenant = $1 AND job_id = $2 AND idx = $3 FOR UPDATE`, tenant, jobID, index)})
		if err != nil {
			return err
		}
		if fnErr = fn(p); fnErr != nil {
			return fnErr
		}
		p.Tenant, p.JobID, p.Index = tenant, jobID, index
		p.HeartbeatAt = fromTime(toTime(p.HeartbeatAt))
		args, err := partArgs(p)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE export_parts SET (`+userport.PartColumns+`) = (`+partPlaceholders+`)
			WHERE tenant = $1 AND job_id = $2 AND idx = $3`, args...)
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
