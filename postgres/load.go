package postgres

import (
	"context"
	"fmt"
	"iter"

	"github.com/jackc/pgx/v5"

	"github.com/userport/userport"
)

var _ userport.UserLoader = (*DB)(nil)

const (
	// sqlCountAllUsers is the one full scan of users: `userport seed`'s bulk
	// load (a command line tool, never the service) compares its size to
	// the table's, of every tenant.
	sqlCountAllUsers = `SELECT count(*) FROM users`

	// sqlUserIndexes lists the secondary indexes of users, those that no
	// constraint owns (the primary key stays): their qualified names, to
	// drop them, and their definitions, to create them again.
	sqlUserIndexes = `SELECT format('%I.%I', n.nspname, c.relname), pg_get_indexdef(c.oid)
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE i.indrelid = 'users'::regclass
			AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
		ORDER BY c.relname`

	// loadWorkMem is the memory of each index build of a bulk load, for this
	// transaction only. On 1,000,000 seeded users the six builds took
	// 27.6-27.8 s with it and 28.5-33.5 s with the server's default 64MB,
	// the expression index on last_login 10 s instead of 12.5-13.7 s (a busy
	// 2-core machine); at 300,000 users it made no difference.
	loadWorkMem = `SET LOCAL maintenance_work_mem = '256MB'`
)

// LoadUsers writes the batches of a bulk load, as `userport seed` makes.
//
// A load at least as large as the users table (all tenants) runs in one
// transaction that drops the table's secondary indexes, copies every batch
// in and creates the indexes again, as they were defined: maintaining six
// indexes, two of them unique on random keys and one on an expression of the
// document, cost more than the copy itself (300,000 seeded users: 6,500
// users/s in batches, 18,300 in one transaction, on a busy 2-core machine).
// The rebuilt unique indexes check the whole load, and the primary key
// stays, so a taken user_id, email or username fails it with ECONFLICT, as
// CreateUsers would. The transaction locks the table until it ends: other
// writers and readers of users wait. Nothing is written if the load fails.
// A smaller load is written batch by batch with CreateUsers.
func (db *DB) LoadUsers(ctx context.Context, expected int, batches iter.Seq[[]*userport.User]) error {
	var stored int64
	err := db.query(ctx, func(ctx context.Context, c querier) error {
		return c.QueryRow(ctx, sqlCountAllUsers).Scan(&stored)
	})
	if err != nil {
		return fmt.Errorf("load users: %w", err)
	}
	if int64(expected) < stored {
		for b := range batches {
			if err := db.CreateUsers(ctx, b...); err != nil {
				return err
			}
		}
		return nil
	}
	err = db.inTx(ctx, func(tx pgx.Tx) error { return loadUsers(ctx, tx, batches) })
	if isConflict(err) {
		return userport.ErrUserConflict()
	} else if err != nil {
		return fmt.Errorf("load users: %w", dbError(err))
	}
	return nil
}

// loadUsers drops the secondary indexes of users within tx, copies batches
// in, and creates the indexes again.
func loadUsers(ctx context.Context, tx pgx.Tx, batches iter.Seq[[]*userport.User]) error {
	if _, err := tx.Exec(ctx, loadWorkMem); err != nil {
		return err
	}
	indexes, err := dropUserIndexes(ctx, tx)
	if err != nil {
		return err
	}
	for b := range batches {
		if err := copyUsers(ctx, tx, b); err != nil {
			return err
		}
	}
	for _, ddl := range indexes {
		if _, err := tx.Exec(ctx, ddl); err != nil {
			return fmt.Errorf("create index: %w", err)
		}
	}
	return nil
}

// dropUserIndexes drops the secondary indexes of users (sqlUserIndexes),
// locking the table until tx ends, and returns their definitions.
func dropUserIndexes(ctx context.Context, tx pgx.Tx) ([]string, error) {
	if _, err := tx.Exec(ctx, `LOCK TABLE users IN ACCESS EXCLUSIVE MODE`); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, sqlUserIndexes)
	if err != nil {
		return nil, err
	}
	var name, ddl string
	var names, ddls []string
	_, err = pgx.ForEachRow(rows, []any{&name, &ddl}, func() error {
		names, ddls = append(names, name), append(ddls, ddl)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list indexes: %w", err)
	}
	for _, name := range names {
		if _, err := tx.Exec(ctx, `DROP INDEX `+name); err != nil {
			return nil, fmt.Errorf("drop index %s: %w", name, err)
		}
	}
	return ddls, nil
}
