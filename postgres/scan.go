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
	var last []byte
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
		}
		return rows.Err()
	})
	if err != nil {
		p.Reset()
		return fmt.Errorf("read users: %w", err)
	}
	p.Last = string(last)
	return nil
}
