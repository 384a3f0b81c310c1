package sqlite

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/userport/userport"
)

// ScanUserKeys reads one keyset page of the users s selects, through the
// key's index, on the read-only pool. The cursor is closed before it returns.
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
	rows, err := db.read.QueryContext(ctx, qSearchPage(s.Key, s.AfterID != "", s.HasTo), args...)
	if err != nil {
		return fmt.Errorf("scan users: %w", err)
	}
	defer rows.Close()
	var key any
	for rows.Next() {
		if err := rows.Scan(pageScanner{p}, &p.Last, &key); err != nil {
			return fmt.Errorf("scan users: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scan users: %w", err)
	}
	p.LastKey = keyText(s.Key, key)
	return rows.Close()
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

// keyText converts a key column's value back to the key's text.
func keyText(key userport.UserKey, v any) string {
	switch v := v.(type) {
	case int64:
		if key == userport.KeyCreatedAt {
			return userport.FormatTime(time.UnixMilli(v))
		}
		return fmt.Sprint(v)
	case string:
		return v
	case []byte:
		return string(v)
	}
	return ""
}

// pageScanner is a sql.Scanner that appends a text or blob column to a page,
// without the intermediate copy that scanning into sql.RawBytes makes.
type pageScanner struct{ p *userport.UserPage }

// Scan implements sql.Scanner.
func (s pageScanner) Scan(src any) error {
	switch v := src.(type) {
	case string:
		s.p.Docs = append(s.p.Docs, v...)
	case []byte:
		s.p.Docs = append(s.p.Docs, v...)
	default:
		return fmt.Errorf("column of type %T, want text", src)
	}
	s.p.Ends = append(s.p.Ends, len(s.p.Docs))
	return nil
}
