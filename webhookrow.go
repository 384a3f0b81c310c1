package userport

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// WebhookColumns are the columns of a stored webhook, in the order of
// WebhookArgs and ScanWebhook, for both stores.
const WebhookColumns = `tenant, id, url, sealed, old_sealed, old_until, disabled_at, disabled_reason, created_at`

// WebhookColumnCount is how many WebhookColumns there are.
var WebhookColumnCount = strings.Count(WebhookColumns, ",") + 1

// WebhookArgs are w's values in WebhookColumns order, each time as timeArg
// makes it (NULL for the zero time).
func WebhookArgs(w *Webhook, timeArg func(time.Time) any) []any {
	return []any{w.Tenant, w.ID, w.URL, w.Sealed, w.OldSealed, timeArg(w.OldUntil), timeArg(w.DisabledAt),
		w.DisabledReason, timeArg(w.CreatedAt)}
}

// ScanWebhook reads a webhook from row, whose columns are WebhookColumns:
// ErrWebhookNotFound when there is none.
func ScanWebhook(row Row) (*Webhook, error) {
	var w Webhook
	err := row.Scan(&w.Tenant, &w.ID, &w.URL, &w.Sealed, &w.OldSealed, &w.OldUntil, &w.DisabledAt,
		&w.DisabledReason, &w.CreatedAt)
	if errors.Is(err, ErrNoRow) {
		return nil, ErrWebhookNotFound()
	} else if err != nil {
		return nil, err
	}
	if len(w.OldSealed) == 0 {
		w.OldSealed = nil
	}
	return &w, nil
}

// DeliveryColumns are the columns of a stored webhook delivery, in the
// order of DeliveryArgs and ScanDelivery, for both stores.
const DeliveryColumns = `tenant, webhook_id, event_id, event_type, job_id, payload, status, attempts, next_at, created_at`

// DeliveryColumnCount is how many DeliveryColumns there are.
var DeliveryColumnCount = strings.Count(DeliveryColumns, ",") + 1

// DeliveryArgs are d's values in DeliveryColumns order, each time as
// timeArg makes it; the attempts are a JSON array.
func DeliveryArgs(d *WebhookDelivery, timeArg func(time.Time) any) ([]any, error) {
	attempts, err := encodeJSON("attempts", d.Attempts, "[]")
	if err != nil {
		return nil, err
	}
	return []any{d.Tenant, d.WebhookID, d.EventID, string(d.EventType), d.JobID, d.Payload, string(d.Status),
		attempts, timeArg(d.NextAt), timeArg(d.CreatedAt)}, nil
}

// ScanDelivery reads a delivery from row, whose columns are
// DeliveryColumns: ErrDeliveryNotFound when there is none.
func ScanDelivery(row Row) (*WebhookDelivery, error) {
	var d WebhookDelivery
	var attempts string
	err := row.Scan(&d.Tenant, &d.WebhookID, &d.EventID, &d.EventType, &d.JobID, &d.Payload, &d.Status,
		&attempts, &d.NextAt, &d.CreatedAt)
	if errors.Is(err, ErrNoRow) {
		return nil, ErrDeliveryNotFound()
	} else if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(attempts), &d.Attempts); err != nil {
		return nil, fmt.Errorf("delivery %s attempts: %w", d.EventID, err)
	}
	for i := range d.Attempts {
		d.Attempts[i].At = d.Attempts[i].At.UTC()
	}
	return &d, nil
}
