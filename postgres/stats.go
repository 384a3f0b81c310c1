package postgres

import (
	"context"
	"fmt"
)

// UsersMaintenance returns how many times the users table was vacuumed and
// analyzed by hand (VACUUM, ANALYZE: not autovacuum), as PostgreSQL's
// statistics count them; tests use it to check that a bulk load left the
// table ready for the planner (AnalyzeUsers).
func (db *DB) UsersMaintenance(ctx context.Context) (vacuumed, analyzed int64, err error) {
	err = db.query(ctx, func(ctx context.Context, c querier) error {
		return c.QueryRow(ctx, `SELECT vacuum_count, analyze_count FROM pg_stat_user_tables
			WHERE relid = 'users'::regclass`).Scan(&vacuumed, &analyzed)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("users maintenance counts: %w", err)
	}
	return vacuumed, analyzed, nil
}
