package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/userport/userport"
)

const connectionColumns = `tenant, id, name, strategy, created_at, options, deleted_at`

// live is the condition of connections that are not deleted.
const live = ` AND deleted_at IS NULL`

// CreateConnection inserts c: ECONFLICT "connection_conflicts" if the name or
// id is taken in the tenant.
func (db *DB) CreateConnection(ctx context.Context, c *userport.Connection) error {
	_, err := db.exec(ctx, `INSERT INTO connections (`+connectionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		c.Tenant, c.ID, c.Name, c.Strategy, toTime(c.CreatedAt), optionsText(c.Options), toTime(c.DeletedAt))
	if isConflict(err) {
		return userport.Errorf(userport.ECONFLICT, "connection_conflicts", "A connection with the same name already exists")
	} else if err != nil {
		return fmt.Errorf("create connection: %w", err)
	}
	return nil
}

// FindConnection returns the connection, or ENOTFOUND "inexistent_connection".
func (db *DB) FindConnection(ctx context.Context, tenant, id string) (*userport.Connection, error) {
	return db.findConnection(ctx, `id = $2`, tenant, id)
}

// FindConnectionByName returns the connection, or ENOTFOUND "inexistent_connection".
func (db *DB) FindConnectionByName(ctx context.Context, tenant, name string) (*userport.Connection, error) {
	return db.findConnection(ctx, `name = $2`, tenant, name)
}

// findConnection returns the tenant's connection whose cond matches arg.
func (db *DB) findConnection(ctx context.Context, cond, tenant, arg string) (*userport.Connection, error) {
	var c *userport.Connection
	err := db.query(ctx, func(ctx context.Context, q querier) error {
		var err error
		c, err = scanConnection(q.QueryRow(ctx, `SELECT `+connectionColumns+` FROM connections WHERE tenant = $1 AND `+cond+live, tenant, arg))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, userport.ErrConnectionNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("find connection: %w", err)
	}
	return c, nil
}

// scanConnection reads the connectionColumns of one row.
func scanConnection(row pgx.Row) (*userport.Connection, error) {
	var c userport.Connection
	var created, deleted *time.Time
	var options string
	if err := row.Scan(&c.Tenant, &c.ID, &c.Name, &c.Strategy, &created, &options, &deleted); err != nil {
		return nil, err
	}
	c.CreatedAt, c.DeletedAt, c.Options = fromTime(created), fromTime(deleted), []byte(options)
	return &c, nil
}

// ListConnections returns a page of connections ordered by id, and the total
// that matches the tenant and name (whatever the page). With From set, the
// page starts after the connection whose id is From and Offset is ignored.
func (db *DB) ListConnections(ctx context.Context, f userport.ConnectionFilter) ([]*userport.Connection, int, error) {
	where, args := `tenant = $1`+live, []any{f.Tenant}
	if f.Name != "" {
		where, args = where+` AND name = $2`, append(args, f.Name)
	}
	var total int
	var list []*userport.Connection
	err := db.query(ctx, func(ctx context.Context, q querier) error {
		if err := q.QueryRow(ctx, `SELECT count(*) FROM connections WHERE `+where, args...).Scan(&total); err != nil {
			return err
		}
		offset := max(f.Offset, 0)
		if f.From != "" {
			args = append(args, f.From)
			where, offset = where+fmt.Sprintf(` AND id > $%d`, len(args)), 0
		}
		args = append(args, limitArg(f.Limit), offset)
		rows, err := q.Query(ctx, `SELECT `+connectionColumns+` FROM connections WHERE `+where+
			fmt.Sprintf(` ORDER BY id LIMIT $%d OFFSET $%d`, len(args)-1, len(args)), args...)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*userport.Connection, error) { return scanConnection(row) })
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list connections: %w", err)
	}
	return list, total, nil
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
func (db *DB) UpdateConnection(ctx context.Context, c *userport.Connection) error {
	tag, err := db.exec(ctx, `UPDATE connections SET options = $3 WHERE tenant = $1 AND id = $2`+live,
		c.Tenant, c.ID, optionsText(c.Options))
	if err != nil {
		return fmt.Errorf("update connection: %w", err)
	}
	return mustAffect(tag, userport.ErrConnectionNotFound)
}

// DeleteConnection marks a connection deleted: ENOTFOUND
// "inexistent_connection" if it is absent or deleted already.
func (db *DB) DeleteConnection(ctx context.Context, tenant, id string, at time.Time) error {
	tag, err := db.exec(ctx, `UPDATE connections SET deleted_at = $3 WHERE tenant = $1 AND id = $2`+live,
		tenant, id, toTime(at))
	if err != nil {
		return fmt.Errorf("delete connection: %w", err)
	}
	return mustAffect(tag, userport.ErrConnectionNotFound)
}

// ListDeletedConnections returns every tenant's deleted connections.
func (db *DB) ListDeletedConnections(ctx context.Context) ([]*userport.Connection, error) {
	var list []*userport.Connection
	err := db.query(ctx, func(ctx context.Context, q querier) error {
		rows, err := q.Query(ctx, `SELECT `+connectionColumns+` FROM connections WHERE deleted_at IS NOT NULL ORDER BY tenant, id`)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*userport.Connection, error) { return scanConnection(row) })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list deleted connections: %w", err)
	}
	return list, nil
}

// PurgeConnection deletes up to limit users of a deleted connection in one
// statement, or the connection itself when it has none left.
func (db *DB) PurgeConnection(ctx context.Context, tenant, id string, limit int) (int, error) {
	tag, err := db.exec(ctx, sqlPurgeConnUsers, tenant, id, limitArg(limit))
	if err != nil {
		return 0, fmt.Errorf("purge connection: %w", err)
	}
	if n := int(tag.RowsAffected()); n > 0 {
		return n, nil
	}
	_, err = db.exec(ctx, `DELETE FROM connections WHERE tenant = $1 AND id = $2 AND deleted_at IS NOT NULL`, tenant, id)
	if err != nil {
		return 0, fmt.Errorf("purge connection: %w", err)
	}
	return 0, nil
}
