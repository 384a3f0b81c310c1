package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/userport/userport"
)

// ScanUserKeys reads one keyset page of the users s selects, through the
// key's index, with one query of its own.
func (db *DB) ScanUserKeys(ctx context.Context, s userport.UserKeyScan, p *userport.UserPage) error {
	p.Reset()
	if err := s.Check(); err != nil {
		return fmt.Errorf("scan users: %w", err)
	}
	args, err := keyScanArgs(s)
	if err != nil {
		return err
	}
	query := sqlSearchPage(s.Key, s.AfterID != "", s.HasTo)
	err = db.query(ctx, func(ctx context.Context, c querier) error {
		rows, err := c.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var doc []byte
		var key any
		for rows.Next() {
			if err := rows.Scan(&doc, &p.Last, &key); err != nil {
				return err
			}
			p.Append(doc)
		}
		p.LastKey = keyText(key)
		return rows.Err()
	})
	if err != nil {
		p.Reset()
		return fmt.Errorf("scan users: %w", err)
	}
	return nil
}

// keyScanArgs are the arguments of sqlSearchPage for s.
func keyScanArgs(s userport.UserKeyScan) ([]any, error) {
	args := []any{s.Tenant}
	add := func(v string) error {
		a, err := keyArg(s.Key, v)
		args = append(args, a)
		return err
	}
	var err error
	switch {
	case s.AfterID == "":
		err = add(s.From)
	case s.Key == userport.KeyUserID:
		args = append(args, s.AfterID)
	default:
		err = add(s.AfterKey)
		args = append(args, s.AfterID)
	}
	if err == nil && s.HasTo {
		err = add(s.To)
	}
	return append(args, s.Limit), err
}

// keyArg converts a key value to its column's type: created_at is a
// timestamptz ("" is the earliest).
func keyArg(key userport.UserKey, v string) (any, error) {
	if key != userport.KeyCreatedAt {
		return v, nil
	}
	t, err := userport.KeyTime(v)
	if err != nil {
		return nil, fmt.Errorf("scan users: created_at bound %q: %w", v, err)
	}
	return t, nil
}

// keyText converts a key column's value back to the key's text.
func keyText(v any) string {
	switch v := v.(type) {
	case time.Time:
		return userport.FormatTime(v)
	case string:
		return v
	}
	return ""
}
