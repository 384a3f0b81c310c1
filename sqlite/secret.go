package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/userport/userport"
)

// Statements of the secrets table; their plans are checked by
// TestSecretQueryPlans.
const (
	sqlListSecrets  = `SELECT name, sealed, created_at FROM secrets ORDER BY name`
	sqlUpdateSecret = `UPDATE secrets SET sealed = ? WHERE name = ?`
	sqlDeleteSecret = `DELETE FROM secrets WHERE name = ?`
)

// AddSecret inserts s, or returns ErrSecretConflict when its name is taken.
func (db *DB) AddSecret(ctx context.Context, s *userport.Secret) (err error) {
	defer mapBusy(&err)
	res, err := db.db.ExecContext(ctx, `INSERT INTO secrets (name, sealed, created_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO NOTHING`, s.Name, s.Sealed, toMillis(s.CreatedAt))
	if err != nil {
		return fmt.Errorf("add secret: %w", err)
	}
	return mustAffect(res, userport.ErrSecretConflict)
}

// ListSecrets returns every secret, in name order.
func (db *DB) ListSecrets(ctx context.Context) (_ []*userport.Secret, err error) {
	defer mapBusy(&err)
	rows, err := db.db.QueryContext(ctx, sqlListSecrets)
	if err != nil {
		return nil, fmt.Errorf("list secrets: %w", err)
	}
	defer rows.Close()
	var all []*userport.Secret
	for rows.Next() {
		var s userport.Secret
		var created sql.NullInt64
		if err := rows.Scan(&s.Name, &s.Sealed, &created); err != nil {
			return nil, fmt.Errorf("list secrets: %w", err)
		}
		s.CreatedAt = fromMillis(created)
		all = append(all, &s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list secrets: %w", err)
	}
	return all, nil
}

// UpdateSecret replaces the sealed value of the secret named s.Name.
func (db *DB) UpdateSecret(ctx context.Context, s *userport.Secret) (err error) {
	defer mapBusy(&err)
	res, err := db.db.ExecContext(ctx, sqlUpdateSecret, s.Sealed, s.Name)
	if err != nil {
		return fmt.Errorf("update secret: %w", err)
	}
	return mustAffect(res, userport.ErrSecretNotFound)
}

// DeleteSecret removes the named secret.
func (db *DB) DeleteSecret(ctx context.Context, name string) (err error) {
	defer mapBusy(&err)
	res, err := db.db.ExecContext(ctx, sqlDeleteSecret, name)
	if err != nil {
		return fmt.Errorf("delete secret: %w", err)
	}
	return mustAffect(res, userport.ErrSecretNotFound)
}
