package sqlite

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/ncruces/go-sqlite3"
	"github.com/tidwall/gjson"

	"github.com/userport/userport"
)

// scanners is how many page scans read at once, each on its own
// connection: the scans of two exports (or two parts of a split one). User
// searches (ScanUserKeys) take the same connections, page by page.
const scanners = 2

// scanConn is a read-only connection of SQLite's own API with the prepared
// keyset queries of ReadUsers and ScanUserKeys. database/sql would make a Go string of every
// document and copy it again (about 1 GB allocated per million users); Step
// and the raw column bytes let ReadUsers copy each document once, straight
// into the page. The queries select the document alone; the page's cursor
// is read from the last document instead.
type scanConn struct {
	c         *sqlite3.Conn
	all, conn *sqlite3.Stmt
	// keys are the user search's page statements (qSearchPage) and the
	// incremental export's (qReadChanges, qReadConnChanges), prepared on
	// first use: at most 22.
	keys map[string]*sqlite3.Stmt
}

// close finalizes the statements and closes the connection.
func (sc *scanConn) close() error {
	errs := []error{sc.all.Close(), sc.conn.Close()}
	for _, st := range sc.keys {
		errs = append(errs, st.Close())
	}
	return errors.Join(append(errs, sc.c.Close())...)
}

// prepared returns the statement of query, preparing it on first use.
func (sc *scanConn) prepared(query string) (*sqlite3.Stmt, error) {
	if st, ok := sc.keys[query]; ok {
		return st, nil
	}
	st, _, err := sc.c.Prepare(query)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	if sc.keys == nil {
		sc.keys = map[string]*sqlite3.Stmt{}
	}
	sc.keys[query] = st
	return st, nil
}

// scanPool holds the scan connections that are free.
type scanPool struct {
	free chan *scanConn
	n    int // connections opened, free or in use
}

// openScanPool opens the scan connections on path, after the writer has
// migrated the file.
func openScanPool(ctx context.Context, path string, busy time.Duration) (*scanPool, error) {
	p := &scanPool{free: make(chan *scanConn, scanners)}
	for range scanners {
		sc, err := openScanConn(ctx, path, busy)
		if err != nil {
			return nil, errors.Join(err, p.close())
		}
		p.n++
		p.free <- sc
	}
	return p, nil
}

// openScanConn opens one scan connection and prepares its queries.
func openScanConn(ctx context.Context, path string, busy time.Duration) (*scanConn, error) {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "query_only(1)")
	c, err := sqlite3.OpenContext(ctx, fileURI(path, q))
	if err != nil {
		return nil, fmt.Errorf("open scan connection: %w", err)
	}
	sc := &scanConn{c: c}
	if sc.all, _, err = c.Prepare(qScanUsers); err == nil {
		sc.conn, _, err = c.Prepare(qScanConnUsers)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("prepare scan: %w", err), sc.close())
	}
	return sc, nil
}

// get takes a free connection, waiting for one while ctx allows.
func (p *scanPool) get(ctx context.Context) (*scanConn, error) {
	select {
	case sc := <-p.free:
		return sc, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// put gives back a connection that get returned.
func (p *scanPool) put(sc *scanConn) { p.free <- sc }

// close closes every connection, waiting for those in use to be put back.
func (p *scanPool) close() error {
	if p == nil {
		return nil
	}
	var errs []error
	for ; p.n > 0; p.n-- {
		errs = append(errs, (<-p.free).close())
	}
	return errors.Join(errs...)
}

// read runs the keyset query for one page on sc and appends each document to
// p. The statement is reset, its read transaction ended, before it returns.
func (sc *scanConn) read(ctx context.Context, s userport.UserScan, p *userport.UserPage) error {
	defer sc.c.SetInterrupt(sc.c.SetInterrupt(ctx))
	st := sc.all
	args := []any{s.Tenant, s.After, s.Limit}
	if s.ConnectionID != "" {
		st = sc.conn
		args = []any{s.Tenant, s.ConnectionID, s.After, s.Limit}
	}
	if err := bindScan(st, args); err != nil {
		return err
	}
	for st.Step() {
		p.Docs = append(p.Docs, st.ColumnRawText(0)...)
		p.Ends = append(p.Ends, len(p.Docs))
	}
	return st.Reset()
}

// bindScan binds the scan's arguments, strings and integers, in order.
func bindScan(st *sqlite3.Stmt, args []any) error {
	for i, a := range args {
		var err error
		switch v := a.(type) {
		case string:
			err = st.BindText(i+1, v)
		case int:
			err = st.BindInt(i+1, v)
		case int64:
			err = st.BindInt64(i+1, v)
		default:
			err = fmt.Errorf("bind argument %d: unexpected %T", i+1, a)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// ReadUsers reads one keyset page into p, on a scan connection of its own.
func (db *DB) ReadUsers(ctx context.Context, s userport.UserScan, p *userport.UserPage) (err error) {
	defer mapBusy(&err)
	p.Reset()
	if s.Limit <= 0 {
		return fmt.Errorf("read users: limit must be positive, got %d", s.Limit)
	}
	sc, err := db.scan.get(ctx)
	if err != nil {
		return fmt.Errorf("read users: %w", err)
	}
	err = sc.read(ctx, s, p)
	db.scan.put(sc)
	if err != nil {
		p.Reset()
		return fmt.Errorf("read users: %w", err)
	}
	if p.Len() == 0 {
		return nil
	}
	// The cursor must move forward, or paging would never end.
	last := gjson.GetBytes(p.Doc(p.Len()-1), "user_id")
	if last.Type != gjson.String || last.Str <= s.After {
		return fmt.Errorf("read users: the document after %q has no user_id beyond it", s.After)
	}
	p.Last = last.Str
	return nil
}
