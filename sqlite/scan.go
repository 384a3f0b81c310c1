package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/userport/userport"
)

// scanStmts are the prepared keyset queries of ScanUsers.
type scanStmts struct {
	all, conn *sql.Stmt
}

// prepare prepares the keyset queries once, at Open.
func (s *scanStmts) prepare(ctx context.Context, db *sql.DB) error {
	var err error
	s.all, err = db.PrepareContext(ctx, `SELECT user_id, doc FROM users
		WHERE tenant = ? AND user_id > ? ORDER BY user_id LIMIT ?`)
	if err != nil {
		return fmt.Errorf("prepare scan: %w", err)
	}
	s.conn, err = db.PrepareContext(ctx, `SELECT user_id, doc FROM users
		WHERE tenant = ? AND connection_id = ? AND user_id > ? ORDER BY user_id LIMIT ?`)
	if err != nil {
		return fmt.Errorf("prepare scan: %w", err)
	}
	return nil
}

// close releases the statements that were prepared.
func (s *scanStmts) close() {
	for _, st := range []*sql.Stmt{s.all, s.conn} {
		if st != nil {
			_ = st.Close()
		}
	}
}

// query runs the keyset query for one page.
func (s *scanStmts) query(ctx context.Context, sc userport.UserScan) (*sql.Rows, error) {
	if sc.ConnectionID == "" {
		return s.all.QueryContext(ctx, sc.Tenant, sc.After, sc.Limit)
	}
	return s.conn.QueryContext(ctx, sc.Tenant, sc.ConnectionID, sc.After, sc.Limit)
}

// scanBuf holds one page of documents: every doc appended to one arena, the
// user ids appended to another, and the end offsets of each.
type scanBuf struct {
	docs, ids       []byte
	docEnds, idEnds []int
	id, doc         arena
}

// arena is a sql.Scanner that appends a text or blob column to a buffer,
// without the intermediate copy that scanning into sql.RawBytes makes.
type arena struct {
	buf  *[]byte
	ends *[]int
}

// Scan implements sql.Scanner.
func (a *arena) Scan(src any) error {
	switch v := src.(type) {
	case string:
		*a.buf = append(*a.buf, v...)
	case []byte:
		*a.buf = append(*a.buf, v...)
	default:
		return fmt.Errorf("scan users: column of type %T, want text", src)
	}
	*a.ends = append(*a.ends, len(*a.buf))
	return nil
}

// newScanBuf returns an empty buffer whose scanners append to it.
func newScanBuf() *scanBuf {
	b := &scanBuf{}
	b.id = arena{buf: &b.ids, ends: &b.idEnds}
	b.doc = arena{buf: &b.docs, ends: &b.docEnds}
	return b
}

// reset empties b for the next page, keeping its memory.
func (b *scanBuf) reset() {
	b.docs, b.ids = b.docs[:0], b.ids[:0]
	b.docEnds, b.idEnds = b.docEnds[:0], b.idEnds[:0]
}

// ScanUsers calls fn for each user of one keyset page, in user_id order, and
// returns how many users it passed. The page is read and the cursor closed
// before fn is first called, so fn may use the store (the database has one
// connection). doc is only valid during the call; userID may be kept.
func (db *DB) ScanUsers(ctx context.Context, s userport.UserScan, fn func(userID string, doc []byte) error) (int, error) {
	if s.Limit <= 0 {
		return 0, fmt.Errorf("scan users: limit must be positive, got %d", s.Limit)
	}
	buf := db.getBuf()
	defer db.putBuf(buf)
	if err := db.readPage(ctx, s, buf); err != nil {
		return 0, err
	}
	return buf.each(fn)
}

// getBuf takes a free page buffer, or makes one.
func (db *DB) getBuf() *scanBuf {
	select {
	case b := <-db.bufs:
		return b
	default:
		return newScanBuf()
	}
}

// maxKeptArena is the largest document arena kept for reuse: a buffer grown
// by an unusually large page is left to the garbage collector.
const maxKeptArena = 16 << 20

// putBuf keeps b for the next page, unless enough buffers are kept.
func (db *DB) putBuf(b *scanBuf) {
	if cap(b.docs) > maxKeptArena {
		return
	}
	select {
	case db.bufs <- b:
	default:
	}
}

// readPage reads one page into buf and closes the cursor.
func (db *DB) readPage(ctx context.Context, s userport.UserScan, buf *scanBuf) error {
	buf.reset()
	rows, err := db.scan.query(ctx, s)
	if err != nil {
		return fmt.Errorf("scan users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(&buf.id, &buf.doc); err != nil {
			return fmt.Errorf("scan users: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scan users: %w", err)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("scan users: %w", err)
	}
	return nil
}

// each calls fn for every user of the page. The ids become one string, so
// the ids handed out stay valid after the buffer is reused.
func (b *scanBuf) each(fn func(userID string, doc []byte) error) (int, error) {
	ids := string(b.ids)
	idStart, docStart := 0, 0
	for i, idEnd := range b.idEnds {
		docEnd := b.docEnds[i]
		if err := fn(ids[idStart:idEnd], b.docs[docStart:docEnd:docEnd]); err != nil {
			return i, err
		}
		idStart, docStart = idEnd, docEnd
	}
	return len(b.idEnds), nil
}
