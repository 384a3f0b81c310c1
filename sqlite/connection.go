package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/userport/userport"
)

const connectionColumns = `tenant, id, name, strategy, created_at, options, deleted_at`

// live is the condition of connections that are not deleted.
const live = ` AND deleted_at IS NULL`

// CreateConnection inserts c: ECONFLICT "connection_conflicts" if the name or
// id is taken in the tenant.
func (db *DB) CreateConnection(ctx context.Context, c *userport.Connection) (err error) {
	defer mapBusy(&err)
	_, err = db.db.ExecContext(ctx, `INSERT INTO connections (`+connectionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		c.Tenant, c.ID, c.Name, c.Strategy, toMillis(c.CreatedAt), optionsText(c.Options), toMillis(c.DeletedAt))
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
	row := db.db.QueryRowContext(ctx, `SELECT `+connectionColumns+` FROM connections WHERE tenant = ? AND `+cond+live, tenant, arg)
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
	var created, deleted sql.NullInt64
	var options string
	if err := s.Scan(&c.Tenant, &c.ID, &c.Name, &c.Strategy, &created, &options, &deleted); err != nil {
		return nil, err
	}
	c.CreatedAt, c.DeletedAt, c.Options = fromMillis(created), fromMillis(deleted), []byte(options)
	return &c, nil
}

// ListConnections returns a page of connections ordered by id, and the total
// that matches the tenant and name (whatever the page). With From set, the
// page starts after the connection whose id is From and Offset is ignored.
func (db *DB) ListConnections(ctx context.Context, f userport.ConnectionFilter) (_ []*userport.Connection, _ int, err error) {
	defer mapBusy(&err)
	where, args := `tenant = ?`+live, []any{f.Tenant}
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

// optionsText is the stored text of a connection's options.
func optionsText(options []byte) string {
	if len(options) == 0 {
		return "{}"
	}
	return string(options)
}

// UpdateConnection replaces the options of a connection that is not
// deleted: ENOTFOUND "inexistent_connection" otherwise.
func (db *DB) UpdateConnection(ctx context.Context, c *userport.Connection) (err error) {
	defer mapBusy(&err)
	res, err := db.db.ExecContext(ctx, `UPDATE connections SET options = ? WHERE tenant = ? AND id = ?`+live,
		optionsText(c.Options), c.Tenant, c.ID)
	if err != nil {
		return fmt.Errorf("update connection: %w", err)
	}
	return mustAffect(res, userport.ErrConnectionNotFound)
}

// DeleteConnection marks a connection deleted: ENOTFOUND
// "inexistent_connection" if it is absent or deleted already.
func (db *DB) DeleteConnection(ctx context.Context, tenant, id string, at time.Time) (err error) {
	defer mapBusy(&err)
	res, err := db.db.ExecContext(ctx, `UPDATE connections SET deleted_at = ? WHERE tenant = ? AND id = ?`+live,
		toMillis(at), tenant, id)
	if err != nil {
		return fmt.Errorf("delete connection: %w", err)
	}
	return mustAffect(res, userport.ErrConnectionNotFound)
}

// ListDeletedConnections returns every tenant's deleted connections.
func (db *DB) ListDeletedConnections(ctx context.Context) (_ []*userport.Connection, err error) {
	defer mapBusy(&err)
	list, err := db.queryConnections(ctx, `SELECT `+connectionColumns+` FROM connections WHERE deleted_at IS NOT NULL ORDER BY tenant, id`)
	if err != nil {
		return nil, fmt.Errorf("list deleted connections: %w", err)
	}
	return list, nil
}

// PurgeConnection deletes up to limit users of a deleted connection in one
// transaction, leaving a tombstone each, or the connection itself when it
// has none left.
func (db *DB) PurgeConnection(ctx context.Context, tenant, id string, limit int) (_ int, err error) {
	defer mapBusy(&err)
	var n int
	err = db.writeUsers(ctx, "purge connection", func(tx *markedTx) error {
		ids, err := connUserIDs(ctx, tx.Tx, tenant, id, limit)
		if err != nil {
			return err
		}
		for _, userID := range ids {
			if err := ctx.Err(); err != nil {
				return err
			}
			if _, err := tx.deleteUser(ctx, tenant, userID); err != nil {
				return err
			}
		}
		if n = len(ids); n == 0 {
			_, err = tx.ExecContext(ctx, `DELETE FROM connections WHERE tenant = ? AND id = ? AND deleted_at IS NOT NULL`, tenant, id)
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// connUserIDs returns up to limit ids of a connection's users.
func connUserIDs(ctx context.Context, tx *sql.Tx, tenant, id string, limit int) ([]string, error) {
	rows, err := tx.QueryContext(ctx, qConnUserIDs, tenant, id, limitArg(limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var userID string
		if err := rows.Scan(&userID); err != nil {
			return nil, err
		}
		ids = append(ids, userID)
	}
	return ids, rows.Err()
}
