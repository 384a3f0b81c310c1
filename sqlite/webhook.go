package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/userport/userport"
)

// Statements of the webhook tables; the plans of the lookups are checked by
// TestWebhookQueryPlans.
var (
	sqlInsertWebhook  = `INSERT INTO webhooks (` + userport.WebhookColumns + `) VALUES (` + marks(userport.WebhookColumnCount) + `)`
	sqlFindWebhook    = `SELECT ` + userport.WebhookColumns + ` FROM webhooks WHERE tenant = ? AND id = ?`
	sqlListWebhooks   = `SELECT ` + userport.WebhookColumns + ` FROM webhooks WHERE tenant = ? ORDER BY created_at, id`
	sqlReplaceWebhook = `REPLACE INTO webhooks (` + userport.WebhookColumns + `) VALUES (` + marks(userport.WebhookColumnCount) + `)`
	sqlDeleteWebhook  = `DELETE FROM webhooks WHERE tenant = ? AND id = ?`

	sqlDeleteDeliveries = `DELETE FROM webhook_deliveries WHERE tenant = ? AND webhook_id = ?`
	sqlInsertDelivery   = `INSERT INTO webhook_deliveries (` + userport.DeliveryColumns + `) VALUES (` +
		marks(userport.DeliveryColumnCount) + `) ON CONFLICT DO NOTHING`
	sqlFindDelivery = `SELECT ` + userport.DeliveryColumns + ` FROM webhook_deliveries
		WHERE tenant = ? AND webhook_id = ? AND event_id = ?`
	sqlReplaceDelivery = `REPLACE INTO webhook_deliveries (` + userport.DeliveryColumns + `) VALUES (` +
		marks(userport.DeliveryColumnCount) + `)`
	sqlListDeliveries = `SELECT ` + userport.DeliveryColumns + ` FROM webhook_deliveries
		WHERE tenant = ? AND webhook_id = ? ORDER BY created_at DESC, event_id DESC LIMIT ?`
	sqlPurgeDeliveries = `DELETE FROM webhook_deliveries WHERE (tenant, webhook_id, event_id) IN
		(SELECT tenant, webhook_id, event_id FROM webhook_deliveries WHERE created_at < ? LIMIT ?)`
)

// millisArg is toMillis as an any, the time argument of the shared rows.
func millisArg(t time.Time) any { return toMillis(t) }

// CreateWebhook inserts w: ECONFLICT when its id is taken.
func (db *DB) CreateWebhook(ctx context.Context, w *userport.Webhook) (err error) {
	defer mapBusy(&err)
	_, err = db.db.ExecContext(ctx, sqlInsertWebhook, userport.WebhookArgs(w, millisArg)...)
	if isConflict(err) {
		return userport.Errorf(userport.ECONFLICT, "", "The webhook already exists.")
	} else if err != nil {
		return fmt.Errorf("create webhook: %w", err)
	}
	return nil
}

// FindWebhook returns the webhook, or ErrWebhookNotFound.
func (db *DB) FindWebhook(ctx context.Context, tenant, id string) (_ *userport.Webhook, err error) {
	defer mapBusy(&err)
	w, err := userport.ScanWebhook(row(db.read.QueryRowContext(ctx, sqlFindWebhook, tenant, id).Scan))
	if err != nil {
		return nil, fmt.Errorf("find webhook: %w", err)
	}
	return w, nil
}

// ListWebhooks returns a tenant's webhooks, oldest first.
func (db *DB) ListWebhooks(ctx context.Context, tenant string) (_ []*userport.Webhook, err error) {
	defer mapBusy(&err)
	rows, err := db.read.QueryContext(ctx, sqlListWebhooks, tenant)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	defer rows.Close()
	var out []*userport.Webhook
	for rows.Next() {
		w, err := userport.ScanWebhook(row(rows.Scan))
		if err != nil {
			return nil, fmt.Errorf("list webhooks: %w", err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	return out, nil
}

// UpdateWebhook reads a webhook, lets fn change it and writes it back, in
// one transaction.
func (db *DB) UpdateWebhook(ctx context.Context, tenant, id string, fn func(w *userport.Webhook) error) (_ *userport.Webhook, err error) {
	defer mapBusy(&err)
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("update webhook: %w", err)
	}
	defer rollback(tx)
	w, err := userport.ScanWebhook(row(tx.QueryRowContext(ctx, sqlFindWebhook, tenant, id).Scan))
	if err != nil {
		return nil, fmt.Errorf("update webhook: %w", err)
	}
	if err := fn(w); err != nil {
		return nil, err
	}
	w.Tenant, w.ID = tenant, id
	normalizeWebhook(w)
	if _, err := tx.ExecContext(ctx, sqlReplaceWebhook, userport.WebhookArgs(w, millisArg)...); err != nil {
		return nil, fmt.Errorf("update webhook: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("update webhook: commit: %w", err)
	}
	return w, nil
}

// normalizeWebhook makes w's times what the store keeps: UTC milliseconds.
func normalizeWebhook(w *userport.Webhook) {
	for _, t := range []*time.Time{&w.OldUntil, &w.DisabledAt, &w.CreatedAt} {
		*t = fromMillis(toMillis(*t))
	}
}

// DeleteWebhook removes a webhook and its deliveries.
func (db *DB) DeleteWebhook(ctx context.Context, tenant, id string) (err error) {
	defer mapBusy(&err)
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	defer rollback(tx)
	res, err := tx.ExecContext(ctx, sqlDeleteWebhook, tenant, id)
	if err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	if err := mustAffect(res, userport.ErrWebhookNotFound); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, sqlDeleteDeliveries, tenant, id); err != nil {
		return fmt.Errorf("delete webhook deliveries: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete webhook: commit: %w", err)
	}
	return nil
}

// CreateDeliveries inserts those of ds not stored yet and calls enqueue
// with the *sql.Tx and those, in one transaction.
func (db *DB) CreateDeliveries(ctx context.Context, ds []*userport.WebhookDelivery,
	enqueue func(ctx context.Context, tx userport.Tx, created []*userport.WebhookDelivery) error) (err error) {
	defer mapBusy(&err)
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create deliveries: %w", err)
	}
	defer rollback(tx)
	var created []*userport.WebhookDelivery
	for _, d := range ds {
		ok, err := insertDelivery(ctx, tx, d)
		if err != nil {
			return err
		}
		if ok {
			created = append(created, d)
		}
	}
	if len(created) > 0 && enqueue != nil {
		if err := enqueue(ctx, tx, created); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create deliveries: commit: %w", err)
	}
	return nil
}

// insertDelivery inserts d unless it is stored: false when it was.
func insertDelivery(ctx context.Context, tx *sql.Tx, d *userport.WebhookDelivery) (bool, error) {
	args, err := userport.DeliveryArgs(d, millisArg)
	if err != nil {
		return false, fmt.Errorf("create delivery: %w", err)
	}
	res, err := tx.ExecContext(ctx, sqlInsertDelivery, args...)
	if err != nil {
		return false, fmt.Errorf("create delivery: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("create delivery: %w", err)
	}
	return n == 1, nil
}

// FindDelivery returns the delivery, or ErrDeliveryNotFound.
func (db *DB) FindDelivery(ctx context.Context, tenant, webhookID, eventID string) (_ *userport.WebhookDelivery, err error) {
	defer mapBusy(&err)
	d, err := userport.ScanDelivery(row(db.read.QueryRowContext(ctx, sqlFindDelivery, tenant, webhookID, eventID).Scan))
	if err != nil {
		return nil, fmt.Errorf("find delivery: %w", err)
	}
	return d, nil
}

// UpdateDelivery reads a delivery, lets fn change it and writes it back, in
// one transaction.
func (db *DB) UpdateDelivery(ctx context.Context, tenant, webhookID, eventID string,
	fn func(d *userport.WebhookDelivery) error) (_ *userport.WebhookDelivery, err error) {
	defer mapBusy(&err)
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("update delivery: %w", err)
	}
	defer rollback(tx)
	d, err := userport.ScanDelivery(row(tx.QueryRowContext(ctx, sqlFindDelivery, tenant, webhookID, eventID).Scan))
	if err != nil {
		return nil, fmt.Errorf("update delivery: %w", err)
	}
	if err := fn(d); err != nil {
		return nil, err
	}
	d.Tenant, d.WebhookID, d.EventID = tenant, webhookID, eventID
	d.NextAt, d.CreatedAt = fromMillis(toMillis(d.NextAt)), fromMillis(toMillis(d.CreatedAt))
	args, err := userport.DeliveryArgs(d, millisArg)
	if err != nil {
		return nil, fmt.Errorf("update delivery: %w", err)
	}
	if _, err := tx.ExecContext(ctx, sqlReplaceDelivery, args...); err != nil {
		return nil, fmt.Errorf("update delivery: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("update delivery: commit: %w", err)
	}
	return d, nil
}

// ListDeliveries returns a webhook's deliveries, newest first, at most
// limit.
func (db *DB) ListDeliveries(ctx context.Context, tenant, webhookID string, limit int) (_ []*userport.WebhookDelivery, err error) {
	defer mapBusy(&err)
	rows, err := db.read.QueryContext(ctx, sqlListDeliveries, tenant, webhookID, limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	var out []*userport.WebhookDelivery
	for rows.Next() {
		d, err := userport.ScanDelivery(row(rows.Scan))
		if err != nil {
			return nil, fmt.Errorf("list deliveries: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}

// PurgeDeliveries deletes at most limit deliveries created before
// createdBefore.
func (db *DB) PurgeDeliveries(ctx context.Context, createdBefore time.Time, limit int) (_ int64, err error) {
	defer mapBusy(&err)
	res, err := db.db.ExecContext(ctx, sqlPurgeDeliveries, toMillis(createdBefore), limit)
	if err != nil {
		return 0, fmt.Errorf("purge deliveries: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("purge deliveries: %w", err)
	}
	return n, nil
}
