package userport

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"regexp"
	"strings"
	"time"
)

// Webhook is an endpoint a tenant registered for its jobs' completion
// events (a userport extension: /api/v2/job-webhooks). Deliveries follow the
// Standard Webhooks specification; package webhooks signs and sends them.
type Webhook struct {
	Tenant string
	ID     string // "whk_" + 16 alphanumerics
	URL    string
	// Sealed is the signing secret (32 random bytes), sealed by package
	// webhooks; the store never sees it in the clear.
	Sealed []byte
	// OldSealed is the secret before the last rotation, which keeps signing
	// beside the new one until OldUntil; nil when there is none.
	OldSealed []byte
	OldUntil  time.Time
	// DisabledAt is when the endpoint was disabled (it answered 410 Gone),
	// and DisabledReason why; zero while it is enabled.
	DisabledAt     time.Time
	DisabledReason string
	CreatedAt      time.Time
}

// WebhookRotationOverlap is how long the secret a rotation replaced keeps
// signing beside the new one: receivers switch within it.
const WebhookRotationOverlap = 24 * time.Hour

// MaxWebhooksPerTenant is how many endpoints one tenant may register.
const MaxWebhooksPerTenant = 10

// NewWebhookID returns "whk_" followed by 16 random alphanumerics.
func NewWebhookID() string { return "whk_" + RandomString(16) }

var webhookIDPattern = regexp.MustCompile(`^whk_[A-Za-z0-9]{16}$`)

// ValidWebhookID reports whether s has the shape of a webhook id.
func ValidWebhookID(s string) bool { return webhookIDPattern.MatchString(s) }

// Rotate makes sealed the webhook's secret at now; the secret it replaces
// keeps signing until now + WebhookRotationOverlap (one before it stops at
// once).
func (w *Webhook) Rotate(sealed []byte, now time.Time) {
	w.OldSealed, w.OldUntil, w.Sealed = w.Sealed, now.Add(WebhookRotationOverlap), sealed
}

// Signing returns the sealed secrets that sign a message sent at now: the
// current one, and the one before it while its overlap lasts.
func (w *Webhook) Signing(now time.Time) [][]byte {
	out := [][]byte{w.Sealed}
	if w.OldSealed != nil && now.Before(w.OldUntil) {
		out = append(out, w.OldSealed)
	}
	return out
}

// Disable disables the webhook at now for reason; a disabled one gets no
// more deliveries. It stays disabled once disabled.
func (w *Webhook) Disable(now time.Time, reason string) {
	if w.DisabledAt.IsZero() {
		w.DisabledAt, w.DisabledReason = now, reason
	}
}

// Enabled reports whether the webhook receives deliveries.
func (w *Webhook) Enabled() bool { return w.DisabledAt.IsZero() }

// EventType is the type of a webhook event.
type EventType string

// Event types: a job ended, or an export's file was deleted.
const (
	EventJobCompleted EventType = "job.completed"
	EventJobFailed    EventType = "job.failed"
	EventJobExpired   EventType = "job.expired"
)

// JobEvent returns the event of a job change from before to after: a job
// that became completed, failed or expired; false for any other change.
func JobEvent(before JobStatus, after *Job) (EventType, bool) {
	if before == after.Status {
		return "", false
	}
	switch after.Status {
	case JobCompleted:
		return EventJobCompleted, true
	case JobFailed:
		return EventJobFailed, true
	case JobExpired:
		return EventJobExpired, true
	}
	return "", false
}

// EventID is the id of the event typ of a job: "msg_" + 26 characters
// derived from the tenant, the job and the type, so that whichever process
// makes an event, and however often, it has one id (the webhook-id header,
// the same on every attempt and every endpoint).
func EventID(tenant, jobID string, typ EventType) string {
	sum := sha256.Sum256([]byte(tenant + "\x00" + jobID + "\x00" + string(typ)))
	return "msg_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:16]))
}

// DeliveryStatus is where a delivery of an event to one webhook stands.
type DeliveryStatus string

// Delivery statuses: pending until an attempt succeeds (2xx) or the last
// attempt fails (or the endpoint is disabled or deleted).
const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliverySucceeded DeliveryStatus = "succeeded"
	DeliveryFailed    DeliveryStatus = "failed"
)

// WebhookDelivery is one event for one webhook: its message (sent
// unchanged on every attempt) and its attempts.
type WebhookDelivery struct {
	Tenant    string
	WebhookID string
	EventID   string // "msg_...": the webhook-id header
	EventType EventType
	JobID     string
	Payload   []byte // the body, exactly as signed and sent
	Status    DeliveryStatus
	Attempts  []DeliveryAttempt
	NextAt    time.Time // when the next attempt is due, while pending
	CreatedAt time.Time
}

// DeliveryAttempt is one POST of a delivery.
type DeliveryAttempt struct {
	At         time.Time `json:"at"`
	StatusCode int       `json:"status_code,omitempty"` // 0: no answer
	LatencyMS  int64     `json:"latency_ms"`
	Error      string    `json:"error,omitempty"` // why it failed, when it did
}

// ErrDeliveryDone is a change of a delivery that is no longer pending.
var ErrDeliveryDone = errors.New("delivery is no longer pending")

// Record adds the attempt a to a pending delivery and moves it to status
// (DeliveryPending with the next attempt due at next, or an end).
// ErrDeliveryDone when it is no longer pending: a delivery that succeeded is
// never sent again.
func (d *WebhookDelivery) Record(a DeliveryAttempt, status DeliveryStatus, next time.Time) error {
	if d.Status != DeliveryPending {
		return ErrDeliveryDone
	}
	d.Attempts = append(d.Attempts, a)
	d.Status, d.NextAt = status, next
	if status != DeliveryPending {
		d.NextAt = time.Time{}
	}
	return nil
}

// Abandon ends a pending delivery as failed without an attempt (its
// webhook was disabled or deleted).
func (d *WebhookDelivery) Abandon() error {
	if d.Status != DeliveryPending {
		return ErrDeliveryDone
	}
	d.Status, d.NextAt = DeliveryFailed, time.Time{}
	return nil
}

// WebhookStore keeps webhooks and their deliveries.
type WebhookStore interface {
	// CreateWebhook inserts w: ECONFLICT when its id is taken.
	CreateWebhook(ctx context.Context, w *Webhook) error
	// FindWebhook returns ErrWebhookNotFound when there is none.
	FindWebhook(ctx context.Context, tenant, id string) (*Webhook, error)
	// ListWebhooks returns a tenant's webhooks, oldest first.
	ListWebhooks(ctx context.Context, tenant string) ([]*Webhook, error)
	// UpdateWebhook reads a webhook, lets fn change it and writes it back,
	// in one transaction; an error from fn aborts it and is returned as is.
	// ErrWebhookNotFound when there is none.
	UpdateWebhook(ctx context.Context, tenant, id string, fn func(w *Webhook) error) (*Webhook, error)
	// DeleteWebhook removes a webhook and its deliveries:
	// ErrWebhookNotFound when there is none.
	DeleteWebhook(ctx context.Context, tenant, id string) error
	// CreateDeliveries inserts those of ds that are not stored yet (by
	// tenant, webhook and event) and, in the same transaction, calls enqueue
	// with the transaction and the ones it inserted: both or neither.
	CreateDeliveries(ctx context.Context, ds []*WebhookDelivery, enqueue func(ctx context.Context, tx Tx, created []*WebhookDelivery) error) error
	// FindDelivery returns ErrDeliveryNotFound when there is none.
	FindDelivery(ctx context.Context, tenant, webhookID, eventID string) (*WebhookDelivery, error)
	// UpdateDelivery reads a delivery, lets fn change it and writes it
	// back, in one transaction; an error from fn aborts it and is returned
	// as is. ErrDeliveryNotFound when there is none.
	UpdateDelivery(ctx context.Context, tenant, webhookID, eventID string, fn func(d *WebhookDelivery) error) (*WebhookDelivery, error)
	// ListDeliveries returns a webhook's deliveries, newest first, at most
	// limit of them (limit > 0).
	ListDeliveries(ctx context.Context, tenant, webhookID string, limit int) ([]*WebhookDelivery, error)
	// PurgeDeliveries deletes at most limit deliveries (of any tenant)
	// created before createdBefore and returns how many it deleted: one short
	// statement, which the cleanup repeats until it deletes fewer.
	PurgeDeliveries(ctx context.Context, createdBefore time.Time, limit int) (int64, error)
}

// ErrWebhookNotFound is the error of a webhook that does not exist:
// ENOTFOUND "inexistent_webhook".
func ErrWebhookNotFound() error {
	return Errorf(ENOTFOUND, "inexistent_webhook", "The webhook does not exist.")
}

// ErrDeliveryNotFound is the error of a delivery that does not exist:
// ENOTFOUND.
func ErrDeliveryNotFound() error {
	return Errorf(ENOTFOUND, "", "The delivery does not exist.")
}
