package postgres

import (
	"context"
	"fmt"

	"github.com/userport/userport"
)

// ReadUsers reads one keyset page into p with one query of its own: an export
// holds no transaction and no connection between pages. The documents'
// bytes are copied from the driver's row buffer into p's buffer
// (pgx.Rows.RawValues), with no allocation per row; doc and user_id are text,
// whose binary format is the text itself.
func (db *DB) ReadUsers(ctx context.Context, s userport.UserScan, p *userport.UserPage) error {
	p.Reset()
	if s.Limit <= 0 {
		return fmt.Errorf("read users: limit must be positive, got %d", s.Limit)
	}
	query, args := sqlReadUsers, []any{s.Tenant, s.After, s.Limit}
	if s.ConnectionID != "" {
		query, args = sqlReadConnUsers, []any{s.Tenant, s.ConnectionID, s.After, s.Limit}
	}
	if err := db.readPage(ctx, query, args, p); err != nil {
		return fmt.Errorf("read users: %w", err)
	}
	return nil
}

// readPage runs query, whose columns are the document, the user_id and, for
// ReadChanges, the mark as text, and fills p: each document appended, p.Last
// and p.LastKey from the last row. The bytes are copied from the driver's
// row buffer; text's binary format is the text itself.
func (db *DB) readPage(ctx context.Context, query string, args []any, p *userport.UserPage) error {
	var last, key []byte
	err := db.query(ctx, func(ctx context.Context, c querier) error {
		rows, err := c.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			v := rows.RawValues()
			p.Append(v[0])
			last = append(last[:0], v[1]...)
			if len(v) > 2 {
				key = append(key[:0], v[2]...)
			}
		}
		return rows.Err()
	})
	if err != nil {
		p.Reset()
		return err
	}
	p.Last, p.LastKey = string(last), string(key)
	return nil
}
