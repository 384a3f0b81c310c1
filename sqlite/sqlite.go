// Package sqlite implements userport.Store on an embedded SQLite file, with the
// pure-Go library github.com/ncruces/go-sqlite3: its database/sql driver for
// ordinary statements and River, its own API for the pages of documents that
// exports and user searches read.
//
// The file is opened in WAL mode with a 5 s busy timeout and exactly one open
// connection: the settings under which River's SQLite driver (which shares the
// file through SQL) is safe across processes. Because there is only one
// connection, no method holds a cursor open while calling back into caller
// code.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/driver" // registers DriverName

	"github.com/userport/userport"
)

// PageSize is the page size of new database files. Profiles of about 0.9 KB
// overflow 4 KiB pages; 16 KiB pages keep them in the b-tree leaves.
const PageSize = 16384

// DriverName is the database/sql driver name of the SQLite library this
// package uses. A process must open its SQLite files through it only: two
// copies of SQLite on one file break each other's POSIX locks.
const DriverName = "sqlite3"

// BusyTimeout is how long a statement waits for another process's lock.
const BusyTimeout = 5 * time.Second

// DB is a userport.Store on one SQLite file.
type DB struct {
	db *sql.DB
	// read is a read-only pool on the same file for job reads and an
	// export's counts, and scan the export scan's own connections: in WAL
	// mode they run beside the one writing connection instead of queueing
	// behind River's polls, progress writes and each other.
	read *sql.DB
	scan *scanPool
	// stmts are the single-user writes' statements (preparedWrites),
	// prepared on the writing pool when the store opens, by their text.
	stmts map[string]*sql.Stmt
	// wait is how writers waiting for the writer say so to a long import
	// transaction (WriteImportBatches).
	wait *waitSignal
}

var _ userport.Store = (*DB)(nil)

// Open opens the SQLite database at path, creating the file (mode 0600) and
// its parent directory (mode 0700) if missing, and applies the embedded
// migrations. The file and its -wal and -shm files are made readable by their
// owner only (see restrictFiles).
func Open(ctx context.Context, path string) (*DB, error) {
	return open(ctx, path, BusyTimeout)
}

// open is Open with a busy timeout.
func open(ctx context.Context, path string, busy time.Duration) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create database directory: %w", err)
	}
	if err := restrictFiles(path); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	wait, err := openWaitSignal(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	sqlDB, err := driver.Open(dsn(path, busy), wait.initWriter(busy))
	if err != nil {
		_ = wait.close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// One connection: River's SQLite driver is only safe across processes so.
	// It is kept open for good, with its page cache.
	sqlDB.SetMaxOpenConns(1)
	sqlDB.SetMaxIdleConns(1)
	sqlDB.SetConnMaxLifetime(0)
	sqlDB.SetConnMaxIdleTime(0)
	db := &DB{db: sqlDB, wait: wait}
	if err := db.init(ctx); err != nil {
		_ = sqlDB.Close()
		_ = wait.close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := restrictFiles(path); err != nil {
		_ = sqlDB.Close()
		_ = wait.close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.prepareWrites(ctx); err != nil {
		_ = sqlDB.Close()
		_ = wait.close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if db.read, err = openReader(ctx, path, busy); err != nil {
		_ = sqlDB.Close()
		_ = wait.close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if db.scan, err = openScanPool(ctx, path, busy); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// restrictFiles creates the database file at path and its -shm file with
// mode 0600 if they are missing, and takes the group and other permissions
// off them and off the -wal file if they exist. SQLite creates the -wal file
// with the database file's permissions (the modeof parameter of fileURI), but
// ncruces' VFS creates the -shm file with 0666 less the umask, so it is made
// here first; the -shm file holds only the WAL's index, but files a looser
// umask, another process or an older version created are tightened here, on
// every open, and again once the writer has opened the WAL.
func restrictFiles(path string) error {
	for _, name := range []string{path, path + "-shm"} {
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	for _, name := range []string{path, path + "-wal", path + "-shm", path + waitSuffix} {
		fi, err := os.Stat(name)
		if errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			return err
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			if err := os.Chmod(name, perm&^0o077); err != nil {
				return fmt.Errorf("restrict permissions: %w", err)
			}
		}
	}
	return nil
}

// Page cache of the one connection: it keeps the b-tree pages that a batch
// of inserts touches (the default 2 MB holds only 125 pages of 16 KiB).
// There is no memory map: mapped pages count in the process's resident
// memory, which then grows with the database, and timed scans showed no gain
// from it.
const cacheKiB = 16 << 10

// walCheckpointPages is how large the WAL grows (in 16 KiB pages, 256 MiB)
// before it is copied back into the database. Bulk inserts rewrite the same
// random-key index pages (email, username) in many transactions; a larger WAL
// copies each back once. Measured at 1,000,000 users (docs/benchmarks.md):
// seed 10.4k -> 13.3k users/s, import 13.4k -> 16.1k users/s.
const walCheckpointPages = 16384

// dsn is the data source name for path, with the busy timeout busy. The
// driver runs the _pragma list in order on each new connection: busy_timeout
// first (for the pragmas; the writer's busy handler, waitSignal, replaces it
// after), then page_size (which must precede the first write) and
// cache_size (neither writes), wal_autocheckpoint, journal_mode (whose switch to WAL
// writes the header), synchronous and foreign_keys. Write transactions begin
// IMMEDIATE so that a read-then-write transaction never fails on a lock
// upgrade while another process writes.
func dsn(path string, busy time.Duration) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", fmt.Sprintf("page_size(%d)", PageSize))
	q.Add("_pragma", fmt.Sprintf("cache_size(%d)", -cacheKiB))
	q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", walCheckpointPages))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	return fileURI(path, q)
}

// fileURI is the "file:" URI of path with the query q, and modeof=path so
// that SQLite creates the -wal file with the database file's permissions.
// url.Values.Encode sorts by key only, so the _pragma values keep their order;
// SQLite decodes %XX but not '+', so a space in path is written %20.
//
// Every connection of the store (the writer, which River shares, and the
// read-only pool) is opened here with _timefmt=sqlite: by default the driver
// returns a TEXT value that looks like an RFC 3339 time as a time.Time
// unless its column is declared exactly TEXT (expressions, json_extract), so
// a user's text would reach a *any or a sql.Scanner as a time. With "sqlite"
// it never does; columns declared DATE, TIME, DATETIME or TIMESTAMP (River's)
// are still read as times in every format SQLite knows. The setting also
// binds a time.Time argument as "2006-01-02 15:04:05" in UTC instead of
// RFC 3339: the store binds none (it stores Unix milliseconds) and River
// binds its times as text it formats itself.
func fileURI(path string, q url.Values) string {
	q.Set("_timefmt", "sqlite")
	modeof := strings.ReplaceAll(url.QueryEscape(path), "+", "%20")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode() + "&modeof=" + modeof
}

// init checks the connection settings, migrates and prepares statements.
func (db *DB) init(ctx context.Context) error {
	var mode string
	if err := db.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("read journal_mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal_mode is %q, want wal", mode)
	}
	return migrate(ctx, db.db)
}

// readers is the size of the read-only pool: the counts and cut points of
// two exports and the API's job reads at once.
const readers = 4

// openReader opens the read-only pool, after the writer has migrated the file.
func openReader(ctx context.Context, path string, busy time.Duration) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "query_only(1)")
	r, err := sql.Open(DriverName, fileURI(path, q))
	if err != nil {
		return nil, err
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	r.SetConnMaxIdleTime(0)
	if err := r.PingContext(ctx); err != nil {
		_ = r.Close()
		return nil, err
	}
	return r, nil
}

// SQL returns the database handle, for the job queue to share the file.
func (db *DB) SQL() *sql.DB { return db.db }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) (err error) {
	defer mapBusy(&err)
	if err := db.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite: %w", err)
	}
	return nil
}

// Close closes the database.
func (db *DB) Close() error {
	serr := db.scan.close()
	var rerr error
	if db.read != nil {
		rerr = db.read.Close()
	}
	var werr error
	if db.wait != nil {
		werr = db.wait.close()
	}
	if err := errors.Join(serr, rerr, db.db.Close(), werr); err != nil {
		return fmt.Errorf("close sqlite: %w", err)
	}
	return nil
}

// preparedWrites are the statements of a single user's create and update,
// each a whole write on its own (writeOne): prepared once instead of parsed
// at every call.
var preparedWrites = []string{qInsertOneUser, qUpdateUser}

// prepareWrites prepares preparedWrites on the writing pool, once, as the
// store opens (the pool's one connection is a transaction's while it
// lasts: preparing on first use could wait for itself).
func (db *DB) prepareWrites(ctx context.Context) error {
	db.stmts = map[string]*sql.Stmt{}
	for _, q := range preparedWrites {
		s, err := db.db.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		db.stmts[q] = s
	}
	return nil
}

// isConflict reports whether err is a UNIQUE or PRIMARY KEY violation.
func isConflict(err error) bool {
	return errors.Is(err, sqlite3.CONSTRAINT_UNIQUE) || errors.Is(err, sqlite3.CONSTRAINT_PRIMARYKEY)
}

// rollback ends tx after a failure; its own error adds nothing to err.
func rollback(tx *sql.Tx) { _ = tx.Rollback() }

// toMillis stores t as Unix milliseconds, and the zero time as NULL.
func toMillis(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// fromMillis is the inverse of toMillis, in UTC.
func fromMillis(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

// limitArg turns a Limit of 0 or less into SQLite's "no limit".
func limitArg(limit int) int {
	if limit <= 0 {
		return -1
	}
	return limit
}

// mapBusy makes *err, the error of a store method, EUNAVAILABLE when SQLite
// was busy or locked (another connection, another process, held the write
// lock past the busy timeout): the database is there, only not now, so the
// API answers 503 instead of 500. The driver's error stays in the chain, for
// the log. Every exported method that runs a statement defers it.
func mapBusy(err *error) {
	if *err == nil || !isBusy(*err) || userport.ErrorCode(*err) == userport.EUNAVAILABLE {
		return
	}
	*err = fmt.Errorf("%w: %w", userport.Errorf(userport.EUNAVAILABLE, "", "The database is busy. Try again in a few seconds."), *err)
}

// isBusy reports whether err is SQLITE_BUSY or SQLITE_LOCKED, or one of
// their extended codes.
func isBusy(err error) bool {
	return errors.Is(err, sqlite3.BUSY) || errors.Is(err, sqlite3.LOCKED)
}
