// Package postgres implements userport.Store on PostgreSQL, with the driver
// github.com/jackc/pgx/v5 and its pool, for scale mode: several userport
// processes share one database and River's PostgreSQL driver (riverpgxv5)
// queues their jobs in it.
//
// Open migrates the store's tables and River's under one advisory lock, so
// that processes that start at once migrate one after another. Every
// method takes a connection from the pool for one statement or one
// transaction; an export reads each keyset page with its own query and holds
// no transaction between pages.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userport/userport"
)

// DefaultAcquireTimeout is how long a method waits for a connection of the
// pool before it fails with EUNAVAILABLE.
const DefaultAcquireTimeout = 5 * time.Second

// Options configure Open. The zero value uses the URL as it is.
type Options struct {
	// Schema, when set, is the schema the store and River's tables live in:
	// it is the search_path of every connection of the pool. It must exist.
	Schema string
	// MaxConns caps the pool (pgxpool's default when 0: 4 or the CPU count).
	MaxConns int32
	// AcquireTimeout bounds the wait for a free connection of the pool
	// (DefaultAcquireTimeout when 0).
	AcquireTimeout time.Duration
}

// DB is a userport.Store on a PostgreSQL database.
type DB struct {
	pool           *pgxpool.Pool
	acquireTimeout time.Duration
}

var _ userport.Store = (*DB)(nil)

// Open connects to the database at url (a postgres:// URL or a key=value
// connection string), and applies the store's embedded migrations and
// River's, under one advisory lock.
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if opts.Schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{opts.Schema}.Sanitize()
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", dbError(err))
	}
	db := &DB{pool: pool, acquireTimeout: opts.AcquireTimeout}
	if db.acquireTimeout <= 0 {
		db.acquireTimeout = DefaultAcquireTimeout
	}
	if err := db.migrate(ctx, cfg.ConnConfig); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	return db, nil
}

// Pool returns the connection pool, for River's driver:
// riverpgxv5.New(db.Pool()).
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	c, err := db.acquire(ctx)
	if err != nil {
		return fmt.Errorf("ping postgres: %w", err)
	}
	defer c.Release()
	if err := c.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", dbError(err))
	}
	return nil
}

// Close closes the pool, waiting for the connections in use.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// acquire takes a connection of the pool, waiting at most the acquire
// timeout: a pool that stays exhausted, or a database that does not accept
// connections, is EUNAVAILABLE.
func (db *DB) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	actx, cancel := context.WithTimeout(ctx, db.acquireTimeout)
	defer cancel()
	c, err := db.pool.Acquire(actx)
	if err != nil && ctx.Err() == nil && actx.Err() != nil {
		return nil, errUnavailable(fmt.Errorf("no connection of the pool within %v: %w", db.acquireTimeout, err))
	} else if err != nil {
		return nil, dbError(err)
	}
	return c, nil
}

// inTx runs fn in a transaction on a connection of the pool and commits it,
// or rolls it back when fn fails. fn's error is returned as is.
func (db *DB) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	c, err := db.acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	tx, err := c.Begin(ctx)
	if err != nil {
		return dbError(err)
	}
	defer rollback(ctx, tx)
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", dbError(err))
	}
	return nil
}

// rollback ends tx after a failure (a no-op after Commit); its own error adds
// nothing to the failure's.
func rollback(ctx context.Context, tx pgx.Tx) { _ = tx.Rollback(context.WithoutCancel(ctx)) }

// unavailable is a database failure shown as EUNAVAILABLE: errors.As finds
// the *userport.Error, errors.Is and As the driver's error too.
type unavailable struct {
	app   *userport.Error
	cause error
}

// Unwrap returns the application error and the driver's.
func (e *unavailable) Unwrap() []error { return []error{e.app, e.cause} }

// Error names both.
func (e *unavailable) Error() string { return e.app.Error() + ": " + e.cause.Error() }

// SQLSTATEs of a server that is going away or not accepting connections.
var unavailableStates = map[string]bool{
	"57P01": true, // admin_shutdown
	"57P02": true, // crash_shutdown
	"57P03": true, // cannot_connect_now
	"53300": true, // too_many_connections
}

// dbError returns err, wrapped as EUNAVAILABLE when the database could not be
// reached or went away: a failed connect, a broken connection, a server
// shutting down, a connection exception (class 08).
func dbError(err error) error {
	if err == nil || userport.ErrorCode(err) != userport.EINTERNAL {
		return err
	}
	var pgErr *pgconn.PgError
	var connErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err // the caller's context ended, not the database
	case errors.As(err, &pgErr):
		if !unavailableStates[pgErr.Code] && !strings.HasPrefix(pgErr.Code, "08") {
			return err
		}
	case errors.As(err, &connErr), errors.As(err, &netErr),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
	default:
		return err
	}
	return errUnavailable(err)
}

// errUnavailable shows cause as EUNAVAILABLE.
func errUnavailable(cause error) error {
	return &unavailable{userport.Errorf(userport.EUNAVAILABLE, "", "The database is not available."), cause}
}

// isConflict reports whether err is a unique violation.
func isConflict(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

// toTime stores t at millisecond precision, and the zero time as NULL.
func toTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.Truncate(time.Millisecond).UTC()
	return &t
}

// fromTime is the inverse of toTime, in UTC.
func fromTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// limitArg turns a Limit of 0 or less into NULL, PostgreSQL's "no limit".
func limitArg(limit int) any {
	if limit <= 0 {
		return nil
	}
	return limit
}
