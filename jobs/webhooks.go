package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/userport/userport"
	"github.com/userport/userport/webhooks"
)

// Webhooks is what the workers need to deliver completion webhooks.
type Webhooks struct {
	Client   *webhooks.Client  // posts through the SSRF guard
	Sealer   *webhooks.Sealer  // opens the endpoints' secrets
	Schedule webhooks.Schedule // when failed attempts are retried
}

// WebhookEventArgs is the River job of one event of a job: inserted in
// the transaction that ends the job (userport.JobTransitions.Enqueue), so
// that neither a crash nor a failed insert separates the two; its worker
// makes the event's deliveries, one per enabled webhook of the tenant.
type WebhookEventArgs struct {
	Tenant  string             `json:"tenant"`
	JobID   string             `json:"job_id"`
	Type    userport.EventType `json:"type"`
	EventID string             `json:"event_id"`
	Body    []byte             `json:"body"` // the message, as every endpoint gets it
	At      time.Time          `json:"at"`
}

// Kind names the River job kind.
func (WebhookEventArgs) Kind() string { return "userport_webhook_event" }

// InsertOpts puts events on the webhooks' queue.
func (WebhookEventArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: WebhookQueue} }

// WebhookQueue is the River queue of webhook jobs, with workers of its own
// (WebhookWorkers): an endpoint that takes its 15 s holds up neither
// exports nor imports, and they hold up no event.
const WebhookQueue = "webhooks"

// WebhookWorkers is how many webhook jobs a process works at once.
const WebhookWorkers = 10

// WebhookDeliveryArgs is the River job of one delivery (an event to one
// webhook): each execution makes one attempt and snoozes until the next.
type WebhookDeliveryArgs struct {
	Tenant    string `json:"tenant"`
	WebhookID string `json:"webhook_id"`
	EventID   string `json:"event_id"`
}

// Kind names the River job kind.
func (WebhookDeliveryArgs) Kind() string { return "userport_webhook_delivery" }

// InsertOpts puts deliveries on the webhooks' queue.
func (WebhookDeliveryArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: WebhookQueue}
}

// eventArgs returns the event job of a job change, false when the change
// makes no event.
func (d Deps) eventArgs(before userport.JobStatus, after *userport.Job) (WebhookEventArgs, bool, error) {
	typ, ok := userport.JobEvent(before, after)
	if !ok {
		return WebhookEventArgs{}, false, nil
	}
	now := d.Clock.Now()
	body, err := webhooks.Body(typ, after, now)
	if err != nil {
		return WebhookEventArgs{}, false, err
	}
	return WebhookEventArgs{Tenant: after.Tenant, JobID: after.ID, Type: typ,
		EventID: userport.EventID(after.Tenant, after.ID, typ), Body: body, At: now}, true, nil
}

// webhookEventWorker fans an event out to the tenant's webhooks.
type webhookEventWorker struct {
	river.WorkerDefaults[WebhookEventArgs]
	deps   Deps
	insert func(ctx context.Context, tx userport.Tx, args []river.InsertManyParams) error
}

// Work creates the event's deliveries and queues them, in one transaction:
// a second run (after a crash) creates and queues none again.
func (w *webhookEventWorker) Work(ctx context.Context, rj *river.Job[WebhookEventArgs]) error {
	a := rj.Args
	hooks, err := w.deps.Store.ListWebhooks(ctx, a.Tenant)
	if err != nil {
		return err
	}
	var ds []*userport.WebhookDelivery
	for _, h := range hooks {
		if h.Enabled() {
			ds = append(ds, &userport.WebhookDelivery{Tenant: a.Tenant, WebhookID: h.ID, EventID: a.EventID,
				EventType: a.Type, JobID: a.JobID, Payload: a.Body, Status: userport.DeliveryPending,
				NextAt: a.At, CreatedAt: a.At})
		}
	}
	if len(ds) == 0 {
		return nil
	}
	return w.deps.Store.CreateDeliveries(ctx, ds, func(ctx context.Context, tx userport.Tx, created []*userport.WebhookDelivery) error {
		params := make([]river.InsertManyParams, len(created))
		for i, d := range created {
			params[i] = river.InsertManyParams{Args: WebhookDeliveryArgs{Tenant: d.Tenant, WebhookID: d.WebhookID, EventID: d.EventID}}
		}
		return w.insert(ctx, tx, params)
	})
}

// webhookDeliveryWorker makes a delivery's attempts.
type webhookDeliveryWorker struct {
	river.WorkerDefaults[WebhookDeliveryArgs]
	deps Deps
	hook *Webhooks
}

// Timeout bounds one execution: one attempt and its bookkeeping. River
// rescues the job of a worker that died once it ran this long (or
// RescueStuckJobsAfter, if longer), and another worker makes the attempt.
func (w *webhookDeliveryWorker) Timeout(*river.Job[WebhookDeliveryArgs]) time.Duration {
	return w.hook.Client.Timeout() + 5*time.Second
}

// Work makes the next attempt of a pending delivery, records it (a
// delivery recorded as succeeded is never sent again), and snoozes until
// the attempt after it when it failed.
func (w *webhookDeliveryWorker) Work(ctx context.Context, rj *river.Job[WebhookDeliveryArgs]) error {
	a := rj.Args
	d, h, err := w.load(ctx, a)
	if d == nil || err != nil {
		return err
	}
	now := w.deps.Clock.Now()
	secrets, err := w.secrets(h, now)
	if err != nil {
		return err
	}
	res := w.hook.Client.Send(ctx, webhooks.Message{URL: h.URL, ID: d.EventID, At: now, Body: d.Payload, Secrets: secrets})
	outcome, delay := w.hook.Schedule.Next(len(d.Attempts)+1, res)
	if err := w.record(context.WithoutCancel(ctx), d, now, res, outcome, delay); err != nil {
		return err
	}
	w.deps.logger(ctx).LogAttrs(ctx, slog.LevelDebug, "webhook attempt", slog.String("webhook_id", h.ID),
		slog.String("event_id", d.EventID), slog.Int("status", res.StatusCode), slog.Any("error", res.Err))
	switch outcome {
	case webhooks.Retry:
		return river.JobSnooze(delay)
	case webhooks.Disable:
		_, err := w.deps.Store.UpdateWebhook(context.WithoutCancel(ctx), h.Tenant, h.ID, func(h *userport.Webhook) error {
			h.Disable(now, "The endpoint answered 410 Gone.")
			return nil
		})
		return err
	}
	return nil
}

// load returns a pending delivery and its webhook; nil and no error when
// there is nothing to send (done already, or its webhook deleted or
// disabled: then the delivery is abandoned).
func (w *webhookDeliveryWorker) load(ctx context.Context, a WebhookDeliveryArgs) (*userport.WebhookDelivery, *userport.Webhook, error) {
	d, err := w.deps.Store.FindDelivery(ctx, a.Tenant, a.WebhookID, a.EventID)
	if userport.ErrorCode(err) == userport.ENOTFOUND {
		return nil, nil, nil // deleted with its webhook
	} else if err != nil || d.Status != userport.DeliveryPending {
		return nil, nil, err
	}
	h, err := w.deps.Store.FindWebhook(ctx, a.Tenant, a.WebhookID)
	if userport.ErrorCode(err) == userport.ENOTFOUND {
		return nil, nil, nil
	} else if err != nil {
		return nil, nil, err
	}
	if !h.Enabled() {
		_, err := w.deps.Store.UpdateDelivery(ctx, a.Tenant, a.WebhookID, a.EventID, (*userport.WebhookDelivery).Abandon)
		if errors.Is(err, userport.ErrDeliveryDone) {
			err = nil
		}
		return nil, nil, err
	}
	return d, h, nil
}

// secrets opens the secrets that sign a message of h sent at now.
func (w *webhookDeliveryWorker) secrets(h *userport.Webhook, now time.Time) ([][]byte, error) {
	var out [][]byte
	for _, sealed := range h.Signing(now) {
		s, err := w.hook.Sealer.Open(h.ID, sealed)
		if err != nil {
			return nil, river.JobCancel(err) // a wrong key will not get better
		}
		out = append(out, s)
	}
	return out, nil
}

// record stores the attempt made at now and what follows it.
func (w *webhookDeliveryWorker) record(ctx context.Context, d *userport.WebhookDelivery, now time.Time,
	res webhooks.Result, outcome webhooks.Outcome, delay time.Duration) error {
	a := userport.DeliveryAttempt{At: now.Truncate(time.Millisecond).UTC(), StatusCode: res.StatusCode,
		LatencyMS: res.Latency.Milliseconds()}
	if res.Err != nil {
		a.Error = res.Err.Error()
	} else if !res.OK() {
		a.Error = fmt.Sprintf("HTTP %d", res.StatusCode)
	}
	status, next := userport.DeliveryPending, now.Add(delay)
	switch outcome {
	case webhooks.Succeeded:
		status = userport.DeliverySucceeded
	case webhooks.GiveUp, webhooks.Disable:
		status = userport.DeliveryFailed
	}
	_, err := w.deps.Store.UpdateDelivery(ctx, d.Tenant, d.WebhookID, d.EventID, func(d *userport.WebhookDelivery) error {
		return d.Record(a, status, next)
	})
	if errors.Is(err, userport.ErrDeliveryDone) {
		return nil // another execution recorded it first
	}
	return err
}
