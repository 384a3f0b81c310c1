package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/userport/userport/internal/migrations"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrateLockKey is the first key of the advisory lock that migrations hold;
// the second is a hash of the schema, so that stores in other schemas of the
// database migrate at the same time.
const migrateLockKey = 0x75706d67 // "upmg"

// migrate applies the store's migrations that schema_migrations does not list
// yet, in order, each in its own transaction, then River's, all under a
// session advisory lock: processes that open the database at once wait for
// each other instead of racing on CREATE TABLE.
//
// The lock is held by a connection of its own, outside the pool, which
// River's migrator uses meanwhile.
func (db *DB) migrate(ctx context.Context, cfg *pgx.ConnConfig) error {
	all, err := migrations.Load(migrationFiles)
	if err != nil {
		return err
	}
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("migrate: %w", dbError(err))
	}
	defer c.Close(context.WithoutCancel(ctx))
	if _, err := c.Exec(ctx, `SELECT pg_advisory_lock($1, hashtext(coalesce(current_schema(), '')))`, migrateLockKey); err != nil {
		return fmt.Errorf("migrate: lock: %w", dbError(err))
	}
	// Closing the connection ends its session and the lock.
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`
	if _, err := c.Exec(ctx, create); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", dbError(err))
	}
	for _, m := range all {
		if err := apply(ctx, c, m); err != nil {
			return err
		}
	}
	return migrateRiver(ctx, db.pool)
}

// migrateRiver brings River's tables up to date, in the pool's search_path.
func migrateRiver(ctx context.Context, pool *pgxpool.Pool) error {
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrate: %w", dbError(err))
	}
	return nil
}

// apply runs m and records it, in one transaction, unless it ran already.
func apply(ctx context.Context, c *pgx.Conn, m migrations.Migration) error {
	err := pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		var done bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.Version).Scan(&done)
		if err != nil || done {
			return err
		}
		// The simple protocol runs a file of several statements.
		if _, err := tx.Exec(ctx, m.SQL, pgx.QueryExecModeSimpleProtocol); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, m.Version)
		return err
	})
	if err != nil {
		return fmt.Errorf("migration %s: %w", m.Name, dbError(err))
	}
	return nil
}
