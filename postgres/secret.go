package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/userport/userport"
)

// AddSecret inserts s, or returns ErrSecretConflict when its name is taken.
// ON CONFLICT DO NOTHING: of processes adding one name at once, the others
// wait for the first to commit and then insert nothing.
func (db *DB) AddSecret(ctx context.Context, s *userport.Secret) error {
	tag, err := db.exec(ctx, `INSERT INTO secrets (name, sealed, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO NOTHING`, s.Name, s.Sealed, toTime(s.CreatedAt))
	if err != nil {
		return fmt.Errorf("add secret: %w", err)
	}
	return mustAffect(tag, userport.ErrSecretConflict)
}

// ListSecrets returns every secret, in name order.
func (db *DB) ListSecrets(ctx context.Context) ([]*userport.Secret, error) {
	var all []*userport.Secret
	err := db.query(ctx, func(ctx context.Context, q querier) error {
		rows, err := q.Query(ctx, `SELECT name, sealed, created_at FROM secrets ORDER BY name`)
		if err != nil {
			return err
		}
		all, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*userport.Secret, error) {
			var s userport.Secret
			var created *time.Time
			err := row.Scan(&s.Name, &s.Sealed, &created)
			s.CreatedAt = fromTime(created)
			return &s, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list secrets: %w", err)
	}
	return all, nil
}

// UpdateSecret replaces the sealed value of the secret named s.Name.
func (db *DB) UpdateSecret(ctx context.Context, s *userport.Secret) error {
	tag, err := db.exec(ctx, `UPDATE secrets SET sealed = $1 WHERE name = $2`, s.Sealed, s.Name)
	if err != nil {
		return fmt.Errorf("update secret: %w", err)
	}
	return mustAffect(tag, userport.ErrSecretNotFound)
}

// DeleteSecret removes the named secret.
func (db *DB) DeleteSecret(ctx context.Context, name string) error {
	tag, err := db.exec(ctx, `DELETE FROM secrets WHERE name = $1`, name)
	if err != nil {
		return fmt.Errorf("delete secret: %w", err)
	}
	return mustAffect(tag, userport.ErrSecretNotFound)
}
