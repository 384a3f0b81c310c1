package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/userport/userport"
)

// userCopyColumns are userColumns, for COPY.
var userCopyColumns = []string{"tenant", "user_id", "connection_id", "email", "username", "password_hash",
	"created_at", "updated_at", "doc"}

// CreateUsers inserts users in one transaction with COPY: all or none. A
// taken user_id, or email or username within a connection, fails the batch
// with ECONFLICT.
func (db *DB) CreateUsers(ctx context.Context, users ...*userport.User) error {
	if len(users) == 0 {
		return nil
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error { return copyUsers(ctx, tx, users) })
	if isConflict(err) {
		return userport.ErrUserConflict()
	} else if err != nil {
		return fmt.Errorf("create users: %w", dbError(err))
	}
	return nil
}

// copyUsers writes users within tx with COPY.
func copyUsers(ctx context.Context, tx pgx.Tx, users []*userport.User) error {
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"users"}, userCopyColumns, pgx.CopyFromSlice(len(users), func(i int) ([]any, error) {
		u := users[i]
		return []any{u.Tenant, u.UserID, u.ConnectionID, u.Email, u.Username, u.PasswordHash,
			toTime(u.CreatedAt), toTime(u.UpdatedAt), string(u.Doc)}, nil
	}))
	return err
}

// FindUser returns the user, or ENOTFOUND "inexistent_user".
func (db *DB) FindUser(ctx context.Context, tenant, userID string) (*userport.User, error) {
	var u *userport.User
	err := db.query(ctx, func(ctx context.Context, c querier) error {
		var err error
		u, err = scanUser(c.QueryRow(ctx, sqlFindUser, tenant, userID))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, userport.ErrUserNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("find user: %w", err)
	}
	return u, nil
}

// querier is a connection or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// query runs fn on a connection of the pool; a failure to reach the database
// is EUNAVAILABLE.
func (db *DB) query(ctx context.Context, fn func(ctx context.Context, c querier) error) error {
	c, err := db.acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	return dbError(fn(ctx, c))
}

// scanUser reads the userColumns of one row.
func scanUser(row pgx.Row) (*userport.User, error) {
	var u userport.User
	var created, updated *time.Time
	var doc []byte
	if err := row.Scan(&u.Tenant, &u.UserID, &u.ConnectionID, &u.Email, &u.Username, &u.PasswordHash,
		&created, &updated, &doc); err != nil {
		return nil, err
	}
	u.CreatedAt, u.UpdatedAt, u.Doc = fromTime(created), fromTime(updated), doc
	return &u, nil
}

// ListUsers returns a page of users in user_id order. A Limit of 0 or less
// means no limit.
func (db *DB) ListUsers(ctx context.Context, f userport.UserFilter) ([]*userport.User, error) {
	query, args := sqlListUsers, []any{f.Tenant}
	if f.ConnectionID != "" {
		query, args = sqlListConnUsers, append(args, f.ConnectionID)
	}
	args = append(args, limitArg(f.Limit), max(f.Offset, 0))
	var users []*userport.User
	err := db.query(ctx, func(ctx context.Context, c querier) error {
		rows, err := c.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		users, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*userport.User, error) { return scanUser(row) })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// FindUsersByEmail returns the tenant's users whose email is email, of
// every connection, in user_id order.
func (db *DB) FindUsersByEmail(ctx context.Context, tenant, email string) ([]*userport.User, error) {
	var users []*userport.User
	err := db.query(ctx, func(ctx context.Context, c querier) error {
		rows, err := c.Query(ctx, sqlUsersByEmail, tenant, email)
		if err != nil {
			return err
		}
		users, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*userport.User, error) { return scanUser(row) })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("users by email: %w", err)
	}
	return users, nil
}

// CountUsers counts a tenant's users, of one connection when connectionID != "".
func (db *DB) CountUsers(ctx context.Context, tenant, connectionID string) (int64, error) {
	query, args := sqlCountUsers, []any{tenant}
	if connectionID != "" {
		query, args = sqlCountConnUsers, append(args, connectionID)
	}
	var n int64
	err := db.query(ctx, func(ctx context.Context, c querier) error {
		return c.QueryRow(ctx, query, args...).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// UpdateUser replaces the stored user matched by tenant and user_id.
func (db *DB) UpdateUser(ctx context.Context, u *userport.User) error {
	tag, err := db.exec(ctx, sqlUpdateUser, u.Tenant, u.UserID, u.ConnectionID, u.Email, u.Username,
		u.PasswordHash, toTime(u.CreatedAt), toTime(u.UpdatedAt), string(u.Doc))
	if isConflict(err) {
		return userport.ErrUserConflict()
	} else if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	return mustAffect(tag, userport.ErrUserNotFound)
}

// DeleteUser removes a user: ENOTFOUND if absent.
func (db *DB) DeleteUser(ctx context.Context, tenant, userID string) error {
	tag, err := db.exec(ctx, sqlDeleteUser, tenant, userID)
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	return mustAffect(tag, userport.ErrUserNotFound)
}

// exec runs one statement on a connection of the pool.
func (db *DB) exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	var tag pgconn.CommandTag
	err := db.query(ctx, func(ctx context.Context, c querier) error {
		var err error
		tag, err = c.Exec(ctx, sql, args...)
		return err
	})
	return tag, err
}

// mustAffect returns notFound() when tag says no row changed.
func mustAffect(tag pgconn.CommandTag, notFound func() error) error {
	if tag.RowsAffected() == 0 {
		return notFound()
	}
	return nil
}
