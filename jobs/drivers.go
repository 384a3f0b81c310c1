package jobs

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
)

// OnSQLite builds the engine on the SQLite database of the store (the
// embedded default), whose one connection River shares through
// riversqlite, River's tables migrated first.
func OnSQLite(ctx context.Context, db *sql.DB, deps Deps, cfg Config, work bool) (*Engine[*sql.Tx], error) {
	driver := riversqlite.New(db)
	if err := Migrate(ctx, driver); err != nil {
		return nil, err
	}
	return New(driver, deps, cfg, work)
}

// OnPostgres builds the engine on the PostgreSQL pool of the store, whose
// River tables postgres.Open migrated (under the store's advisory lock);
// workers fetch every PostgresFetchCooldown.
func OnPostgres(pool *pgxpool.Pool, deps Deps, cfg Config, work bool) (*Engine[pgx.Tx], error) {
	cfg.FetchCooldown = PostgresFetchCooldown
	return New(riverpgxv5.New(pool), deps, cfg, work)
}
