package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/userport/userport"
)

// Statements of the webhook tables; the plans of the lookups are checked by
// TestWebhookLookupsUseIndexes.
var (
	sqlInsertWebhook = `INSERT INTO webhooks (` + userport.WebhookColumns + `) VALUES (` +
		placeholders(userport.WebhookColumnCount) + `)`
	sqlFindWebhook    = `SELECT ` + userport.WebhookColumns + ` FROM webhooks WHERE tenant = $1 AND id = $2`
	sqlListWebhooks   = `SELECT ` + userport.WebhookColumns + ` FROM webhooks WHERE tenant = $1 ORDER BY created_at, id`
	sqlUpdateWebhook  = `UPDATE webhooks SET (` + userport.WebhookColumns + `) = (` + placeholders(userport.WebhookColumnCount) + `) WHERE tenant = $1 AND id = $2`
	sqlDeleteWebhook  = `DELETE FROM webhooks WHERE tenant = $1 AND id = $2` // its deliveries by ON DELETE CASCADE
	sqlInsertDelivery = `INSERT INTO webhook_deliveries (` + userport.DeliveryColumns + `) VALUES (` +
		placeholders(userport.DeliveryColumnCount) + `) ON CONFLICT DO NOTHING`
	sqlFindDelivery = `SELECT ` + userport.DeliveryColumns + ` FROM webhook_deliveries
		WHERE tenant = $1 AND webhook_id = $2 AND event_id = $3`
	sqlUpdateDelivery = `UPDATE webhook_deliveries SET (` + userport.DeliveryColumns + `) = (` +
		placeholders(userport.DeliveryColumnCount) + `) WHERE tenant = $1 AND webhook_id = $2 AND event_id = $3`
	sqlListDeliveries = `SELECT ` + userport.DeliveryColumns + ` FROM webhook_deliveries
		WHERE tenant = $1 AND webhook_id = $2 ORDER BY created_at DESC, event_id DESC LIMIT $3`
	sqlPurgeDeliveries = `DELETE FROM webhook_deliveries WHERE ctid IN
		(SELECT ctid FROM webhook_deliveries WHERE created_at < $1 LIMIT $2)`
)

// timeArg is toTime as an any, the time argument of the shared rows.
func timeArg(t time.Time) any { return toTime(t) }

// CreateWebhook inserts w: ECONFLICT when its id is taken.
func (db *DB) CreateWebhook(ctx context.Context, w *userport.Webhook) error {
	_, err := db.exec(ctx, sqlInsertWebhook, userport.WebhookArgs(w, timeArg)...)
	if isConflict(err) {
		return userport.Errorf(userport.ECONFLICT, "", "The webhook already exists.")
	} else if err != nil {
		return fmt.Errorf("create webhook: %w", err)
	}
	return nil
}

// FindWebhook returns the webhook, or ErrWebhookNotFound.
func (db *DB) FindWebhook(ctx context.Context, tenant, id string) (*userport.Webhook, error) {
	var w *userport.Webhook
	err := db.query(ctx, func(ctx context.Context, q querier) error {
		var err error
		w, err = userport.ScanWebhook(row{q.QueryRow(ctx, sqlFindWebhook, tenant, id)})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find webhook: %w", err)
	}
	return w, nil
}

// ListWebhooks returns a tenant's webhooks, oldest first.
func (db *DB) ListWebhooks(ctx context.Context, tenant string) ([]*userport.Webhook, error) {
	var out []*userport.Webhook
	err := db.query(ctx, func(ctx context.Context, q querier) error {
		rows, err := q.Query(ctx, sqlListWebhooks, tenant)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*userport.Webhook, error) { return userport.ScanWebhook(row{r}) })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	return out, nil
}

// UpdateWebhook reads a webhook, locking its row, lets fn change it and
// writes it back, in one transaction.
func (db *DB) UpdateWebhook(ctx context.Context, tenant, id string, fn func(w *userport.Webhook) error) (*userport.Webhook, error) {
	var w *userport.Webhook
	var fnErr error
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if w, err = userport.ScanWebhook(row{tx.QueryRow(ctx, sqlFindWebhook+` FOR UPDATE`, tenant, id)}); err != nil {
			return err
		}
		if fnErr = fn(w); fnErr != nil {
			return fnErr
		}
		w.Tenant, w.ID = tenant, id
		for _, t := range []*time.Time{&w.OldUntil, &w.DisabledAt, &w.CreatedAt} {
			*t = fromTime(toTime(*t))
		}
		_, err = tx.Exec(ctx, sqlUpdateWebhook, userport.WebhookArgs(w, timeArg)...)
		return err
	})
	if fnErr != nil {
		return nil, fnErr
	} else if err != nil {
		return nil, fmt.Errorf("update webhook: %w", dbError(err))
	}
	return w, nil
}

// DeleteWebhook removes a webhook and (by cascade) its deliveries.
func (db *DB) DeleteWebhook(ctx context.Context, tenant, id string) error {
	tag, err := db.exec(ctx, sqlDeleteWebhook, tenant, id)
	if err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	return mustAffect(tag, userport.ErrWebhookNotFound)
}

// CreateDeliveries inserts those of ds not stored yet and calls enqueue
// with the pgx.Tx and those, in one transaction.
func (db *DB) CreateDeliveries(ctx context.Context, ds []*userport.WebhookDelivery,
	enqueue func(ctx context.Context, tx userport.Tx, created []*userport.WebhookDelivery) error) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var created []*userport.WebhookDelivery
		for _, d := range ds {
			args, err := userport.DeliveryArgs(d, timeArg)
			if err != nil {
				return err
			}
			tag, err := tx.Exec(ctx, sqlInsertDelivery, args...)
			if err != nil {
				return dbError(err)
			}
			if tag.RowsAffected() == 1 {
				created = append(created, d)
			}
		}
		if len(created) == 0 || enqueue == nil {
			return nil
		}
		return enqueue(ctx, tx, created)
	})
	if err != nil {
		return fmt.Errorf("create deliveries: %w", err)
	}
	return nil
}

// FindDelivery returns the delivery, or ErrDeliveryNotFound.
func (db *DB) FindDelivery(ctx context.Context, tenant, webhookID, eventID string) (*userport.WebhookDelivery, error) {
	var d *userport.WebhookDelivery
	err := db.query(ctx, func(ctx context.Context, q querier) error {
		var err error
		d, err = userport.ScanDelivery(row{q.QueryRow(ctx, sqlFindDelivery, tenant, webhookID, eventID)})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find delivery: %w", err)
	}
	return d, nil
}

// UpdateDelivery reads a delivery, locking its row, lets fn change it and
// writes it back, in one transaction.
func (db *DB) UpdateDelivery(ctx context.Context, tenant, webhookID, eventID string,
	fn func(d *userport.WebhookDelivery) error) (*userport.WebhookDelivery, error) {
	var d *userport.WebhookDelivery
	var fnErr error
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if d, err = userport.ScanDelivery(row{tx.QueryRow(ctx, sqlFindDelivery+` FOR UPDATE`, tenant, webhookID, eventID)}); err != nil {
			return err
		}
		if fnErr = fn(d); fnErr != nil {
			return fnErr
		}
		d.Tenant, d.WebhookID, d.EventID = tenant, webhookID, eventID
		d.NextAt, d.CreatedAt = fromTime(toTime(d.NextAt)), fromTime(toTime(d.CreatedAt))
		args, err := userport.DeliveryArgs(d, timeArg)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, sqlUpdateDelivery, args...)
		return err
	})
	if fnErr != nil {
		return nil, fnErr
	} else if err != nil {
		return nil, fmt.Errorf("update delivery: %w", dbError(err))
	}
	return d, nil
}

// ListDeliveries returns a webhook's deliveries, newest first, at most
// limit.
func (db *DB) ListDeliveries(ctx context.Context, tenant, webhookID string, limit int) ([]*userport.WebhookDelivery, error) {
	var out []*userport.WebhookDelivery
	err := db.query(ctx, func(ctx context.Context, q querier) error {
		rows, err := q.Query(ctx, sqlListDeliveries, tenant, webhookID, limitArg(limit))
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*userport.WebhookDelivery, error) {
			return userport.ScanDelivery(row{r})
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}

// PurgeDeliveries deletes at most limit deliveries created before
// createdBefore.
func (db *DB) PurgeDeliveries(ctx context.Context, createdBefore time.Time, limit int) (int64, error) {
	tag, err := db.exec(ctx, sqlPurgeDeliveries, toTime(createdBefore), limit)
	if err != nil {
		return 0, fmt.Errorf("purge deliveries: %w", err)
	}
	return tag.RowsAffected(), nil
}
