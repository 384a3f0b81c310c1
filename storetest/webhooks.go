package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/userport/userport"
)

// webhookTests are the cases of WebhookStore and of UpdateJobThen.
var webhookTests = []struct {
	name string
	fn   func(t *testing.T, s userport.Store)
}{
	{"UpdateJobThen", testUpdateJobThen},
	{"WebhookRoundTrip", testWebhookRoundTrip},
	{"WebhookNotFound", testWebhookNotFound},
	{"DeliveriesCreateOnce", testDeliveriesCreateOnce},
	{"DeliveryUpdateAndList", testDeliveryUpdateAndList},
	{"PurgeDeliveries", testPurgeDeliveries},
}

// testPurgeDeliveries checks that the purge deletes the deliveries created
// before the cutoff, of every tenant, at most limit a call.
func testPurgeDeliveries(t *testing.T, s userport.Store) {
	ctx := t.Context()
	a, b := newWebhook("a", 1), newWebhook("b", 2)
	for _, w := range []*userport.Webhook{a, b} {
		if err := s.CreateWebhook(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	var ds []*userport.WebhookDelivery
	for n := 1; n <= 3; n++ { // created at baseTime + n seconds
		ds = append(ds, newDelivery(a, n), newDelivery(b, n))
	}
	if err := s.CreateDeliveries(ctx, ds, nil); err != nil {
		t.Fatal(err)
	}
	cutoff := baseTime.Add(3 * time.Second) // before the third of each
	n, err := s.PurgeDeliveries(ctx, cutoff, 3)
	if err != nil || n != 3 {
		t.Fatalf("PurgeDeliveries(limit 3) = %d, %v; want 3", n, err)
	}
	if n, err = s.PurgeDeliveries(ctx, cutoff, 3); err != nil || n != 1 {
		t.Fatalf("PurgeDeliveries again = %d, %v; want the 1 left", n, err)
	}
	for _, w := range []*userport.Webhook{a, b} {
		list, err := s.ListDeliveries(ctx, w.Tenant, w.ID, 10)
		if err != nil || len(list) != 1 || list[0].EventID != "msg_0003" {
			t.Errorf("deliveries of %s after the purge: %d, %v; want msg_0003 only", w.Tenant, len(list), err)
		}
	}
}

// testUpdateJobThen checks that then runs in the job's transaction: its
// failure leaves the job as it was, and a tx is handed to it.
func testUpdateJobThen(t *testing.T, s userport.Store) {
	ctx := t.Context()
	createJobs(t, s, exportJob("a", 1))
	failing := errors.New("queue is down")
	_, err := s.UpdateJobThen(ctx, "a", jobID(1), func(j *userport.Job) error {
		j.StatusDetails = "changed"
		return nil
	}, func(ctx context.Context, tx userport.Tx, j *userport.Job) error {
		if tx == nil || j.StatusDetails != "changed" {
			t.Errorf("then got tx %v, job details %q; want a tx and the changed job", tx, j.StatusDetails)
		}
		return fmt.Errorf("enqueue: %w", failing)
	})
	if !errors.Is(err, failing) {
		t.Fatalf("UpdateJobThen error = %v, want then's", err)
	}
	field(t, "details after a failed then", findJob(t, s, "a", jobID(1)).StatusDetails, "")
	called := false
	j, err := s.UpdateJobThen(ctx, "a", jobID(1), func(j *userport.Job) error {
		j.StatusDetails = "changed"
		return nil
	}, func(context.Context, userport.Tx, *userport.Job) error { called = true; return nil })
	if err != nil || !called {
		t.Fatalf("UpdateJobThen = %v (then called: %v)", err, called)
	}
	field(t, "details", j.StatusDetails, "changed")
	field(t, "details stored", findJob(t, s, "a", jobID(1)).StatusDetails, "changed")
}

// newWebhook is webhook n of tenant.
func newWebhook(tenant string, n int) *userport.Webhook {
	return &userport.Webhook{Tenant: tenant, ID: fmt.Sprintf("whk_%016d", n), URL: fmt.Sprintf("https://example.com/hook/%d", n),
		Sealed: []byte{1, 2, byte(n)}, CreatedAt: baseTime.Add(time.Duration(n) * time.Second)}
}

func checkWebhook(t *testing.T, got, want *userport.Webhook) {
	t.Helper()
	field(t, "tenant", got.Tenant, want.Tenant)
	field(t, "id", got.ID, want.ID)
	field(t, "url", got.URL, want.URL)
	if !bytes.Equal(got.Sealed, want.Sealed) || !bytes.Equal(got.OldSealed, want.OldSealed) {
		t.Errorf("sealed = %x, %x; want %x, %x", got.Sealed, got.OldSealed, want.Sealed, want.OldSealed)
	}
	if (got.OldSealed == nil) != (want.OldSealed == nil) {
		t.Errorf("old sealed = %v, want %v", got.OldSealed, want.OldSealed)
	}
	checkTime(t, "old_until", got.OldUntil, want.OldUntil)
	checkTime(t, "disabled_at", got.DisabledAt, want.DisabledAt)
	field(t, "disabled_reason", got.DisabledReason, want.DisabledReason)
	checkTime(t, "created_at", got.CreatedAt, want.CreatedAt)
}

func testWebhookRoundTrip(t *testing.T, s userport.Store) {
	ctx := t.Context()
	for _, w := range []*userport.Webhook{newWebhook("a", 2), newWebhook("a", 1), newWebhook("b", 3)} {
		if err := s.CreateWebhook(ctx, w); err != nil {
			t.Fatalf("CreateWebhook: %v", err)
		}
	}
	err := s.CreateWebhook(ctx, newWebhook("a", 1))
	wantError(t, err, userport.ECONFLICT, "", "")
	got, err := s.ListWebhooks(ctx, "a")
	if err != nil || len(got) != 2 {
		t.Fatalf("ListWebhooks = %d, %v; want 2", len(got), err)
	}
	checkWebhook(t, got[0], newWebhook("a", 1)) // oldest first
	checkWebhook(t, got[1], newWebhook("a", 2))

	want := newWebhook("a", 1)
	want.Rotate([]byte{9, 9}, baseTime)
	want.Disable(baseTime.Add(time.Minute), "gone")
	updated, err := s.UpdateWebhook(ctx, "a", want.ID, func(w *userport.Webhook) error {
		w.Rotate([]byte{9, 9}, baseTime)
		w.Disable(baseTime.Add(time.Minute), "gone")
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateWebhook: %v", err)
	}
	checkWebhook(t, updated, want)
	found, err := s.FindWebhook(ctx, "a", want.ID)
	if err != nil {
		t.Fatalf("FindWebhook: %v", err)
	}
	checkWebhook(t, found, want)

	abort := errors.New("abort")
	if _, err := s.UpdateWebhook(ctx, "a", want.ID, func(w *userport.Webhook) error { w.URL = "x"; return abort }); !errors.Is(err, abort) {
		t.Errorf("UpdateWebhook's fn error = %v, want it as is", err)
	}
	if err := s.DeleteWebhook(ctx, "a", want.ID); err != nil {
		t.Fatalf("DeleteWebhook: %v", err)
	}
	_, err = s.FindWebhook(ctx, "a", want.ID)
	wantError(t, err, userport.ENOTFOUND, "inexistent_webhook", "")
}

func testWebhookNotFound(t *testing.T, s userport.Store) {
	ctx := t.Context()
	if err := s.CreateWebhook(ctx, newWebhook("a", 1)); err != nil {
		t.Fatal(err)
	}
	_, err := s.FindWebhook(ctx, "b", newWebhook("a", 1).ID) // another tenant's
	wantError(t, err, userport.ENOTFOUND, "inexistent_webhook", "")
	_, err = s.UpdateWebhook(ctx, "b", newWebhook("a", 1).ID, func(*userport.Webhook) error { return nil })
	wantError(t, err, userport.ENOTFOUND, "inexistent_webhook", "")
	wantError(t, s.DeleteWebhook(ctx, "b", newWebhook("a", 1).ID), userport.ENOTFOUND, "inexistent_webhook", "")
	_, err = s.FindDelivery(ctx, "a", newWebhook("a", 1).ID, "msg_x")
	wantError(t, err, userport.ENOTFOUND, "", "")
}

// newDelivery is the delivery of event n to webhook w.
func newDelivery(w *userport.Webhook, n int) *userport.WebhookDelivery {
	return &userport.WebhookDelivery{Tenant: w.Tenant, WebhookID: w.ID, EventID: fmt.Sprintf("msg_%04d", n),
		EventType: userport.EventJobCompleted, JobID: jobID(n), Payload: []byte(fmt.Sprintf(`{"n":%d}`, n)),
		Status: userport.DeliveryPending, NextAt: baseTime, CreatedAt: baseTime.Add(time.Duration(n) * time.Second)}
}

// testDeliveriesCreateOnce checks that a delivery is inserted once however
// often it is created, that enqueue sees only the new ones, and that its
// failure writes none.
func testDeliveriesCreateOnce(t *testing.T, s userport.Store) {
	ctx := t.Context()
	w := newWebhook("a", 1)
	if err := s.CreateWebhook(ctx, w); err != nil {
		t.Fatal(err)
	}
	failing := errors.New("queue is down")
	err := s.CreateDeliveries(ctx, []*userport.WebhookDelivery{newDelivery(w, 1)}, func(context.Context, userport.Tx, []*userport.WebhookDelivery) error {
		return failing
	})
	if !errors.Is(err, failing) {
		t.Fatalf("CreateDeliveries = %v, want enqueue's error", err)
	}
	if _, err := s.FindDelivery(ctx, "a", w.ID, "msg_0001"); userport.ErrorCode(err) != userport.ENOTFOUND {
		t.Fatalf("delivery after a failed enqueue: %v, want ENOTFOUND", err)
	}
	var seen []string
	enqueue := func(ctx context.Context, tx userport.Tx, created []*userport.WebhookDelivery) error {
		for _, d := range created {
			seen = append(seen, d.EventID)
		}
		return nil
	}
	for range 2 {
		if err := s.CreateDeliveries(ctx, []*userport.WebhookDelivery{newDelivery(w, 1), newDelivery(w, 2)}, enqueue); err != nil {
			t.Fatalf("CreateDeliveries: %v", err)
		}
	}
	field(t, "enqueued", fmt.Sprint(seen), "[msg_0001 msg_0002]")
}

func testDeliveryUpdateAndList(t *testing.T, s userport.Store) {
	ctx := t.Context()
	w := newWebhook("a", 1)
	if err := s.CreateWebhook(ctx, w); err != nil {
		t.Fatal(err)
	}
	var ds []*userport.WebhookDelivery
	for n := 1; n <= 3; n++ {
		ds = append(ds, newDelivery(w, n))
	}
	if err := s.CreateDeliveries(ctx, ds, nil); err != nil {
		t.Fatal(err)
	}
	a := userport.DeliveryAttempt{At: baseTime.Truncate(time.Millisecond).UTC(), StatusCode: 500, LatencyMS: 12, Error: "HTTP 500"}
	d, err := s.UpdateDelivery(ctx, "a", w.ID, "msg_0002", func(d *userport.WebhookDelivery) error {
		return d.Record(a, userport.DeliveryPending, baseTime.Add(5*time.Second))
	})
	if err != nil {
		t.Fatalf("UpdateDelivery: %v", err)
	}
	got, err := s.FindDelivery(ctx, "a", w.ID, "msg_0002")
	if err != nil {
		t.Fatal(err)
	}
	field(t, "attempts", fmt.Sprint(got.Attempts), fmt.Sprint(d.Attempts))
	field(t, "payload", string(got.Payload), `{"n":2}`)
	field(t, "event type", got.EventType, userport.EventJobCompleted)
	checkTime(t, "next_at", got.NextAt, baseTime.Add(5*time.Second))
	_, err = s.UpdateDelivery(ctx, "a", w.ID, "msg_0002", func(d *userport.WebhookDelivery) error {
		return d.Record(a, userport.DeliverySucceeded, time.Time{})
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.UpdateDelivery(ctx, "a", w.ID, "msg_0002", func(d *userport.WebhookDelivery) error {
		return d.Record(a, userport.DeliveryPending, time.Time{})
	})
	if !errors.Is(err, userport.ErrDeliveryDone) {
		t.Errorf("a second record after success = %v, want ErrDeliveryDone", err)
	}
	list, err := s.ListDeliveries(ctx, "a", w.ID, 2)
	if err != nil || len(list) != 2 {
		t.Fatalf("ListDeliveries = %d, %v; want 2", len(list), err)
	}
	field(t, "newest first", list[0].EventID+" "+list[1].EventID, "msg_0003 msg_0002")
	field(t, "status", list[1].Status, userport.DeliverySucceeded)
	if err := s.DeleteWebhook(ctx, "a", w.ID); err != nil {
		t.Fatal(err)
	}
	if list, err := s.ListDeliveries(ctx, "a", w.ID, 10); err != nil || len(list) != 0 {
		t.Errorf("deliveries after the webhook's deletion = %d, %v; want none", len(list), err)
	}
}
