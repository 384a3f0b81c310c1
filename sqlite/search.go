package sqlite

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/ncruces/go-sqlite3"

	"github.com/userport/userport"
)

// ScanUserKeys reads one keyset page of the users s selects, through the
// key's index, on a scan connection of its own (SQLite's own API, as
// ReadUsers: each document copied once, into the page). The statement is
// reset before it returns.
func (db *DB) ScanUserKeys(ctx context.Context, s userport.UserKeyScan, p *userport.UserPage) (err error) {
	defer mapBusy(&err)
	p.Reset()
	if err := s.Check(); err != nil {
		return fmt.Errorf("scan users: %w", err)
	}
	args, err := keyScanArgs(s)
	if err != nil {
		return err
	}
	sc, err := db.scan.get(ctx)
	if err != nil {
		return fmt.Errorf("scan users: %w", err)
	}
	err = sc.readKeys(ctx, qSearchPage(s.Key, s.AfterID != "", s.HasTo), args, p,
		func(n int64) string { return keyText(s.Key, n) })
	db.scan.put(sc)
	if err != nil {
		p.Reset()
		return fmt.Errorf("scan users: %w", err)
	}
	return nil
}

// readKeys runs one page query on sc, whose columns are the document, the
// user_id and the key (qSearchPage, or qReadChanges with the mark), appends
// each document to p and sets p's cursor from the last row: an integer key
// written by numText.
func (sc *scanConn) readKeys(ctx context.Context, query string, args []any, p *userport.UserPage, numText func(int64) string) error {
	defer sc.c.SetInterrupt(sc.c.SetInterrupt(ctx))
	st, err := sc.prepared(query)
	if err != nil {
		return err
	}
	if err := bindScan(st, args); err != nil {
		return err
	}
	var lastID, lastKey []byte
	var lastNum int64
	numeric := false
	for st.Step() {
		p.Docs = append(p.Docs, st.ColumnRawText(0)...)
		p.Ends = append(p.Ends, len(p.Docs))
		lastID = append(lastID[:0], st.ColumnRawText(1)...)
		if numeric = st.ColumnType(2) == sqlite3.INTEGER; numeric {
			lastNum = st.ColumnInt64(2)
		} else {
			lastKey = append(lastKey[:0], st.ColumnRawText(2)...)
		}
	}
	if err := st.Reset(); err != nil {
		return err
	}
	if p.Len() > 0 {
		p.Last, p.LastKey = string(lastID), string(lastKey)
		if numeric {
			p.LastKey = numText(lastNum)
		}
	}
	return nil
}

// keyScanArgs are the arguments of qSearchPage for s.
func keyScanArgs(s userport.UserKeyScan) ([]any, error) {
	args := []any{s.Tenant}
	from, err := keyArg(s.Key, s.From)
	if err != nil {
		return nil, err
	}
	switch {
	case s.AfterID == "":
		args = append(args, from)
	case s.Key == userport.KeyUserID:
		args = append(args, s.AfterID)
	default:
		after, err := keyArg(s.Key, s.AfterKey)
		if err != nil {
			return nil, err
		}
		args = append(args, after, s.AfterID)
		if s.Key == userport.KeyLastLogin {
			args = append(args[:1], after, after, s.AfterID)
		}
	}
	if s.HasTo {
		to, err := keyArg(s.Key, s.To)
		if err != nil {
			return nil, err
		}
		args = append(args, to)
	}
	return append(args, s.Limit), nil
}

// keyArg converts a key value to its column's type: created_at is Unix
// milliseconds.
func keyArg(key userport.UserKey, v string) (any, error) {
	if key != userport.KeyCreatedAt {
		return v, nil
	}
	if v == "" {
		return int64(math.MinInt64), nil
	}
	t, err := userport.KeyTime(v)
	if err != nil {
		return nil, fmt.Errorf("scan users: created_at bound %q: %w", v, err)
	}
	return t.UnixMilli(), nil
}

// keyText converts an integer key column's value back to the key's text:
// created_at is Unix milliseconds.
func keyText(key userport.UserKey, v int64) string {
	if key == userport.KeyCreatedAt {
		return userport.FormatTime(time.UnixMilli(v))
	}
	return strconv.FormatInt(v, 10)
}
