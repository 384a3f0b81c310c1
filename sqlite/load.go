package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"iter"

	"github.com/userport/userport"
)

// LoadUsers writes the batches of a bulk load, as `userport seed` makes.
//
// A load at least as large as the users table runs in one transaction that
// drops the table's secondary indexes first and builds them again at the end:
// the unique email and username indexes take random keys, and inserting into
// them rewrote most of their pages at every batch (1,000,000 seeded users:
// 31,000 users/s in batches, 66,000 in one transaction; docs/benchmarks.md).
// The rebuilt unique indexes check the whole load, so a taken email or
// username fails it, with ECONFLICT, as CreateUsers would. The load's users
// share one change mark. Other writers
// wait for the transaction, and nothing is written if it fails. A smaller
// load is written batch by batch with CreateUsers.
func (db *DB) LoadUsers(ctx context.Context, expected int, batches iter.Seq[[]*userport.User]) (err error) {
	defer mapBusy(&err)
	var stored int
	if err := db.db.QueryRowContext(ctx, qCountAllUsers).Scan(&stored); err != nil {
		return fmt.Errorf("load users: %w", err)
	}
	if expected < stored {
		for b := range batches {
			if err := db.CreateUsers(ctx, b...); err != nil {
				return err
			}
		}
		return nil
	}
	return db.writeUsers(ctx, "load users", func(tx *markedTx) error {
		indexes, err := dropUserIndexes(ctx, tx.Tx)
		if err != nil {
			return err
		}
		for b := range batches {
			if err := insertUsers(ctx, tx, b); err != nil {
				return err
			}
		}
		for _, ddl := range indexes {
			if _, err := tx.ExecContext(ctx, ddl); isConflict(err) {
				return userport.ErrUserConflict()
			} else if err != nil {
				return fmt.Errorf("build index: %w", err)
			}
		}
		return nil
	})
}

// dropUserIndexes drops the secondary indexes of the users table and
// returns the statements that create them again, as the migrations wrote them.
func dropUserIndexes(ctx context.Context, tx *sql.Tx) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_schema
		WHERE type = 'index' AND tbl_name = 'users' AND sql IS NOT NULL ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list indexes: %w", err)
	}
	defer rows.Close()
	var names, ddls []string
	for rows.Next() {
		var name, ddl string
		if err := rows.Scan(&name, &ddl); err != nil {
			return nil, fmt.Errorf("list indexes: %w", err)
		}
		names, ddls = append(names, name), append(ddls, ddl)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list indexes: %w", err)
	}
	for _, name := range names {
		if _, err := tx.ExecContext(ctx, `DROP INDEX "`+name+`"`); err != nil {
			return nil, fmt.Errorf("drop index %s: %w", name, err)
		}
	}
	return ddls, nil
}
