package sqlite

import (
	"context"
	"fmt"

	"github.com/userport/userport"
)

// PutClient inserts c, or replaces the client with the same tenant and id.
func (db *DB) PutClient(ctx context.Context, c *userport.Client) (err error) {
	defer mapBusy(&err)
	scopes, err := userport.ClientScopes(c)
	if err != nil {
		return fmt.Errorf("put client: %w", err)
	}
	_, err = db.db.ExecContext(ctx, `INSERT INTO clients (tenant, id, name, secret_hash, scopes, created_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant, id) DO UPDATE SET name = excluded.name, secret_hash = excluded.secret_hash,
			scopes = excluded.scopes, created_at = excluded.created_at`,
		c.Tenant, c.ID, c.Name, c.SecretHash, scopes, toMillis(c.CreatedAt))
	if err != nil {
		return fmt.Errorf("put client: %w", err)
	}
	return nil
}

// FindClient returns the client, or ENOTFOUND (with no Auth0 errorCode).
func (db *DB) FindClient(ctx context.Context, tenant, id string) (_ *userport.Client, err error) {
	defer mapBusy(&err)
	c, err := userport.ScanClient(row(db.db.QueryRowContext(ctx, `SELECT tenant, id, name, secret_hash, scopes, created_at
		FROM clients WHERE tenant = ? AND id = ?`, tenant, id).Scan))
	if err != nil && userport.ErrorCode(err) != userport.ENOTFOUND {
		return nil, fmt.Errorf("find client: %w", err)
	}
	return c, err
}

// CountClients counts a tenant's clients.
func (db *DB) CountClients(ctx context.Context, tenant string) (_ int, err error) {
	defer mapBusy(&err)
	var n int
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM clients WHERE tenant = ?`, tenant).Scan(&n); err != nil {
		return 0, fmt.Errorf("count clients: %w", err)
	}
	return n, nil
}
