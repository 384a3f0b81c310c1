package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/userport/userport"
)

// CreateUsers inserts users in one transaction with one prepared statement:
// all or none. A taken user_id, or email or username within a connection,
// fails the batch with ECONFLICT. One user is one statement.
func (db *DB) CreateUsers(ctx context.Context, users ...*userport.User) (err error) {
	defer mapBusy(&err)
	if len(users) == 0 {
		return nil
	}
	if len(users) == 1 {
		u := users[0]
		_, err := db.writeOne(ctx, "create user", qInsertOneUser, u.Tenant, u.UserID, u.ConnectionID, u.Email, u.Username,
			u.PasswordHash, toMillis(u.CreatedAt), toMillis(u.UpdatedAt), string(u.Doc))
		return err
	}
	return db.writeUsers(ctx, "create users", func(tx *markedTx) error { return insertUsers(ctx, tx, users) })
}

// insertUsers inserts users in primary key order (so that the clustered
// b-tree grows at one end) with one statement prepared on tx, stamped with
// its mark.
//
// The rows are executed under a context without cancellation: the driver
// starts a goroutine per execution to watch a cancellable context, which cost
// about a fifth of the CPU time of an insert in BenchmarkCreateUsers. ctx is
// checked between rows instead, and the transaction still ends with it.
func insertUsers(ctx context.Context, tx *markedTx, users []*userport.User) error {
	stmt, err := tx.PrepareContext(ctx, qInsertUser)
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	defer stmt.Close()
	rowCtx := context.WithoutCancel(ctx)
	for _, u := range sortedByKey(users) {
		if err := ctx.Err(); err != nil {
			return err
		}
		mark, err := tx.mark(ctx, u.Tenant)
		if err != nil {
			return err
		}
		_, err = stmt.ExecContext(rowCtx, u.Tenant, u.UserID, u.ConnectionID, u.Email, u.Username,
			u.PasswordHash, toMillis(u.CreatedAt), toMillis(u.UpdatedAt), string(u.Doc), mark)
		if isConflict(err) {
			return userport.ErrUserConflict()
		} else if err != nil {
			return fmt.Errorf("user %s: %w", u.UserID, err)
		}
	}
	return nil
}

// FindUser returns the user, or ENOTFOUND "inexistent_user".
func (db *DB) FindUser(ctx context.Context, tenant, userID string) (_ *userport.User, err error) {
	defer mapBusy(&err)
	row := db.db.QueryRowContext(ctx, qFindUser, tenant, userID)
	u, err := scanUser(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, userport.ErrUserNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("find user: %w", err)
	}
	return u, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// scanUser reads the userColumns of one row.
func scanUser(s scanner) (*userport.User, error) {
	var u userport.User
	var created, updated sql.NullInt64
	var doc []byte
	err := s.Scan(&u.Tenant, &u.UserID, &u.ConnectionID, &u.Email, &u.Username,
		&u.PasswordHash, &created, &updated, &doc)
	if err != nil {
		return nil, err
	}
	u.CreatedAt, u.UpdatedAt, u.Doc = fromMillis(created), fromMillis(updated), doc
	return &u, nil
}

// ListUsers returns a page of users in user_id order. A Limit of 0 or less
// means no limit.
func (db *DB) ListUsers(ctx context.Context, f userport.UserFilter) (_ []*userport.User, err error) {
	defer mapBusy(&err)
	query, args := qListUsers, []any{f.Tenant}
	if f.ConnectionID != "" {
		query, args = qListConnUsers, append(args, f.ConnectionID)
	}
	rows, err := db.db.QueryContext(ctx, query, append(args, limitArg(f.Limit), max(f.Offset, 0))...)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var users []*userport.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// FindUsersByEmail returns the tenant's users whose email is email, of
// every connection, in user_id order.
func (db *DB) FindUsersByEmail(ctx context.Context, tenant, email string) (_ []*userport.User, err error) {
	defer mapBusy(&err)
	rows, err := db.db.QueryContext(ctx, qUsersByEmail, tenant, email)
	if err != nil {
		return nil, fmt.Errorf("users by email: %w", err)
	}
	defer rows.Close()
	var users []*userport.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("users by email: %w", err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("users by email: %w", err)
	}
	return users, nil
}

// CountUsers counts a tenant's users, of one connection when connectionID != "".
func (db *DB) CountUsers(ctx context.Context, tenant, connectionID string) (_ int64, err error) {
	defer mapBusy(&err)
	query, args := qCountUsers, []any{tenant}
	if connectionID != "" {
		query, args = qCountConnUsers, append(args, connectionID)
	}
	var n int64
	if err := db.db.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// UpdateUser replaces the stored user matched by tenant and user_id.
func (db *DB) UpdateUser(ctx context.Context, u *userport.User) (err error) {
	defer mapBusy(&err)
	res, err := db.writeOne(ctx, "update user", qUpdateUser, u.Tenant, u.UserID, u.ConnectionID, u.Email, u.Username,
		u.PasswordHash, toMillis(u.CreatedAt), toMillis(u.UpdatedAt), string(u.Doc))
	if err != nil {
		return err
	}
	return mustAffect(res, userport.ErrUserNotFound)
}

// writeOne runs one statement that writes one user and marks it itself,
// outside a transaction, without cancellation once ctx is checked (as
// insertUsers' rows): ECONFLICT for a taken key, any other error prefixed
// with what.
func (db *DB) writeOne(ctx context.Context, what, query string, args ...any) (sql.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	db.wait.begin(time.Now()) // an import's transaction commits for it (waitSignal), as in writeUsers
	res, err := db.stmts[query].ExecContext(context.WithoutCancel(ctx), args...)
	if isConflict(err) {
		return nil, userport.ErrUserConflict()
	} else if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return res, nil
}

// DeleteUser removes a user and leaves its tombstone: ENOTFOUND if absent.
func (db *DB) DeleteUser(ctx context.Context, tenant, userID string) (err error) {
	defer mapBusy(&err)
	return db.writeUsers(ctx, "delete user", func(tx *markedTx) error {
		ok, err := tx.deleteUser(ctx, tenant, userID)
		if err == nil && !ok {
			return userport.ErrUserNotFound()
		}
		return err
	})
}

// mustAffect returns notFound() when res changed no row.
func mustAffect(res sql.Result, notFound func() error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("rows affected: %w", err)
	}
	if n == 0 {
		return notFound()
	}
	return nil
}

// sortedByKey returns users in primary key order, the order of the b-tree
// they are inserted into, without changing the caller's slice.
func sortedByKey(users []*userport.User) []*userport.User {
	if slices.IsSortedFunc(users, compareKeys) {
		return users
	}
	sorted := slices.Clone(users)
	slices.SortFunc(sorted, compareKeys)
	return sorted
}

// compareKeys orders users by tenant and user_id.
func compareKeys(a, b *userport.User) int {
	return cmp.Or(strings.Compare(a.Tenant, b.Tenant), strings.Compare(a.UserID, b.UserID))
}

// AnalyzeUsers does nothing: SQLite plans the users' statements by its rules
// over the schema, without statistics (sqlite_stat1 would let it pick other
// indexes than the ones plan_test.go pins), and has no visibility map; a
// bulk load is made fast by its page size and key order instead.
func (db *DB) AnalyzeUsers(context.Context, bool) error { return nil }
