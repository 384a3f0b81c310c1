package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/userport/userport"
)

const connectionColumns = `tenant, id, name, strategy, created_at`

// CreateConnection inserts c: ECONFLICT "connection_conflicts" if the name or
// id is taken in the tenant.
func (db *DB) CreateConnection(ctx context.Context, c *userport.Connection) (err error) {
	defer mapBusy(&err)
	_, err = db.db.ExecContext(ctx, `INSERT INTO connections (`+connectionColumns+`) VALUES (?, ?, ?, ?, ?)`,
		c.Tenant, c.ID, c.Name, c.Strategy, toMillis(c.CreatedAt))
	if isConflict(err) {
		return userport.Errorf(userport.ECONFLICT, "connection_conflicts", "A connection with the same name already exists")
	} else if err != nil {
		return fmt.Errorf("create connection: %w", err)
	}
	return nil
}

// FindConnection returns the connection, or ENOTFOUND "inexistent_connection".
func (db *DB) FindConnection(ctx context.Context, tenant, id string) (_ *userport.Connection, err error) {
	defer mapBusy(&err)
	return db.findConnection(ctx, `id = ?`, tenant, id)
}

// FindConnectionByName returns the connection, or ENOTFOUND "inexistent_connection".
func (db *DB) FindConnectionByName(ctx context.Context, tenant, name string) (_ *userport.Connection, err error) {
	defer mapBusy(&err)
	return db.findConnection(ctx, `name = ?`, tenant, name)
}

// findConnection returns the tenant's connection whose cond matches arg.
func (db *DB) findConnection(ctx context.Context, cond, tenant, arg string) (*userport.Connection, error) {
	row := db.db.QueryRowContext(ctx, `SELECT `+connectionColumns+` FROM connections WHERE tenant = ? AND `+cond, tenant, arg)
	c, err := scanConnection(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, userport.ErrConnectionNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("find connection: %w", err)
	}
	return c, nil
}

// scanConnection reads the connectionColumns of one row.
func scanConnection(s scanner) (*userport.Connection, error) {
	var c userport.Connection
	var created sql.NullInt64
	if err := s.Scan(&c.Tenant, &c.ID, &c.Name, &c.Strategy, &created); err != nil {
		return nil, err
	}
	c.CreatedAt = fromMillis(created)
	return &c, nil
}

// ListConnections returns a page of connections ordered by id, and the total
// that matches the tenant and name (whatever the page). With From set, the
// page starts after the connection whose id is From and Offset is ignored.
func (db *DB) ListConnections(ctx context.Context, f userport.ConnectionFilter) (_ []*userport.Connection, _ int, err error) {
	defer mapBusy(&err)
	where, args := `tenant = ?`, []any{f.Tenant}
	if f.Name != "" {
		where, args = where+` AND name = ?`, append(args, f.Name)
	}
	var total int
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM connections WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("list connections: %w", err)
	}
	offset := max(f.Offset, 0)
	if f.From != "" {
		where, args, offset = where+` AND id > ?`, append(args, f.From), 0
	}
	args = append(args, limitArg(f.Limit), offset)
	list, err := db.queryConnections(ctx, `SELECT `+connectionColumns+` FROM connections WHERE `+where+
		` ORDER BY id LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list connections: %w", err)
	}
	return list, total, nil
}

// queryConnections returns the connections query selects.
func (db *DB) queryConnections(ctx context.Context, query string, args ...any) ([]*userport.Connection, error) {
	rows, err := db.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []*userport.Connection
	for rows.Next() {
		c, err := scanConnection(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, c)
	}
	return list, rows.Err()
}
