package postgres

import (
	"context"
	"fmt"

	"github.com/userport/userport"
)

// PutClient inserts c, or replaces the client with the same tenant and id.
func (db *DB) PutClient(ctx context.Context, c *userport.Client) error {
	scopes, err := userport.ClientScopes(c)
	if err != nil {
		return fmt.Errorf("put client: %w", err)
	}
	_, err = db.exec(ctx, `INSERT INTO clients (tenant, id, name, secret_hash, scopes, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (tenant, id) DO UPDATE SET name = excluded.name, secret_hash = excluded.secret_hash,
			scopes = excluded.scopes, created_at = excluded.created_at`,
		c.Tenant, c.ID, c.Name, c.SecretHash, scopes, toTime(c.CreatedAt))
	if err != nil {
		return fmt.Errorf("put client: %w", err)
	}
	return nil
}

// FindClient returns the client, or ENOTFOUND (with no Auth0 errorCode).
func (db *DB) FindClient(ctx context.Context, tenant, id string) (*userport.Client, error) {
	var c *userport.Client
	err := db.query(ctx, func(ctx context.Context, q querier) error {
		var err error
		c, err = userport.ScanClient(row{q.QueryRow(ctx, `SELECT tenant, id, name, secret_hash, scopes, created_at
			FROM clients WHERE tenant = $1 AND id = $2`, tenant, id)})
		return err
	})
	if err != nil && userport.ErrorCode(err) != userport.ENOTFOUND {
		return nil, fmt.Errorf("find client: %w", err)
	}
	return c, err
}

// CountClients counts a tenant's clients.
func (db *DB) CountClients(ctx context.Context, tenant string) (int, error) {
	var n int
	err := db.query(ctx, func(ctx context.Context, q querier) error {
		return q.QueryRow(ctx, `SELECT count(*) FROM clients WHERE tenant = $1`, tenant).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("count clients: %w", err)
	}
	return n, nil
}
