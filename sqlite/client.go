package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/userport/userport"
)

// PutClient inserts c, or replaces the client with the same tenant and id.
func (db *DB) PutClient(ctx context.Context, c *userport.Client) (err error) {
	defer mapBusy(&err)
	scopes := c.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	js, err := json.Marshal(scopes)
	if err != nil {
		return fmt.Errorf("put client: %w", err)
	}
	_, err = db.db.ExecContext(ctx, `INSERT INTO clients (tenant, id, name, secret_hash, scopes, created_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant, id) DO UPDATE SET name = excluded.name, secret_hash = excluded.secret_hash,
			scopes = excluded.scopes, created_at = excluded.created_at`,
		c.Tenant, c.ID, c.Name, c.SecretHash, string(js), toMillis(c.CreatedAt))
	if err != nil {
		return fmt.Errorf("put client: %w", err)
	}
	return nil
}

// FindClient returns the client, or ENOTFOUND (with no Auth0 errorCode).
func (db *DB) FindClient(ctx context.Context, tenant, id string) (_ *userport.Client, err error) {
	defer mapBusy(&err)
	var c userport.Client
	var scopes string
	var created sql.NullInt64
	err = db.db.QueryRowContext(ctx, `SELECT tenant, id, name, secret_hash, scopes, created_at
		FROM clients WHERE tenant = ? AND id = ?`, tenant, id).
		Scan(&c.Tenant, &c.ID, &c.Name, &c.SecretHash, &scopes, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, userport.ErrClientNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("find client: %w", err)
	}
	if err := json.Unmarshal([]byte(scopes), &c.Scopes); err != nil {
		return nil, fmt.Errorf("find client: scopes: %w", err)
	}
	c.CreatedAt = fromMillis(created)
	return &c, nil
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
