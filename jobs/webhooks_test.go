package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/userport/userport"
	"github.com/userport/userport/export"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/jobs"
	"github.com/userport/userport/webhooks"
)

// receiver is a webhook endpoint that answers each message by answer(n),
// n the message's attempt (1 for its first), and keeps what it got.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	attempts map[string]int  // by webhook-id
	got      []*http.Request // every request, its body read into bodies
	bodies   map[*http.Request][]byte
	answer   func(n int) int
}

func newReceiver(t *testing.T, answer func(n int) int) *receiver {
	r := &receiver{attempts: map[string]int{}, bodies: map[*http.Request][]byte{}, answer: answer}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		id := req.Header.Get("webhook-id")
		r.attempts[id]++
		n := r.attempts[id]
		r.got = append(r.got, req)
		r.bodies[req] = body
		r.mu.Unlock()
		w.WriteHeader(r.answer(n))
	}))
	t.Cleanup(r.Close)
	return r
}

// requests returns the requests received so far.
func (r *receiver) requests() []*http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*http.Request(nil), r.got...)
}

// webhookSetup is setup with webhooks on a fast schedule: every retry after
// 10 ms, no jitter; the endpoint on loopback over http (allowed).
func webhookSetup(t *testing.T, timeout time.Duration) (*env, *webhooks.Sealer) {
	return webhookSetupWith(t, timeout, nil)
}

// webhookSetupWith is webhookSetup with the exporter exp (nil: the real one).
func webhookSetupWith(t *testing.T, timeout time.Duration, exp jobs.Exporter) (*env, *webhooks.Sealer) {
	sealer := webhooks.NewSealer([]byte("test key"))
	guard := &webhooks.Guard{AllowHTTP: true, AllowPrivate: true}
	delays := []time.Duration{0, 10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}
	hooks := &jobs.Webhooks{Client: webhooks.NewClient(guard, webhooks.ClientOptions{Timeout: timeout}), Sealer: sealer,
		Schedule: webhooks.Schedule{Delays: delays, Jitter: func(d time.Duration) time.Duration { return d }}}
	return setupWith(t, 10, jobs.Config{CleanupInterval: 50 * time.Millisecond}, exp, func(d *jobs.Deps) { d.Webhooks = hooks }), sealer
}

// register stores a webhook of the env's tenant for url and returns it with
// its secret as shown.
func register(t testing.TB, e *env, sealer *webhooks.Sealer, url string) (*userport.Webhook, string) {
	t.Helper()
	secret := webhooks.NewSecret()
	w := &userport.Webhook{Tenant: "dev", ID: userport.NewWebhookID(), URL: url, CreatedAt: e.clock.Now()}
	w.Sealed = sealer.Seal(w.ID, secret)
	if err := e.store.CreateWebhook(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	return w, webhooks.ShowSecret(secret)
}

// waitDelivery waits until the delivery of the event of job is no longer
// pending and returns it.
func waitDelivery(t *testing.T, e *env, w *userport.Webhook, eventID string) *userport.WebhookDelivery {
	t.Helper()
	var d *userport.WebhookDelivery
	testutil.WaitFor(t, 20*time.Second, "delivery "+eventID+" to end", func() (string, bool) {
		var err error
		d, err = e.store.FindDelivery(context.Background(), "dev", w.ID, eventID)
		if userport.ErrorCode(err) == userport.ENOTFOUND {
			return "not created", false
		} else if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%s after %d attempts", d.Status, len(d.Attempts)), d.Status != userport.DeliveryPending
	})
	return d
}

// TestWebhookRetriedUntilSuccess: an endpoint that answers 500 twice and
// then 200 gets each event three times with one webhook-id, and the third
// attempt ends the delivery; every request verifies with the Standard
// Webhooks reference library (Go), timestamps included.
func TestWebhookRetriedUntilSuccess(t *testing.T) {
	e, sealer := webhookSetup(t, 5*time.Second)
	e.clock.Set(time.Now()) // the reference library checks webhook-timestamp against the time
	rcv := newReceiver(t, func(n int) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	w, shown := register(t, e, sealer, rcv.URL+"/hook")
	var ids []string
	for range 3 {
		j := e.enqueue(t, &userport.Job{})
		e.waitFor(t, j.ID, "completed", func(j *userport.Job) bool { return j.Status == userport.JobCompleted })
		ids = append(ids, userport.EventID("dev", j.ID, userport.EventJobCompleted))
	}
	for _, id := range ids {
		d := waitDelivery(t, e, w, id)
		if d.Status != userport.DeliverySucceeded || len(d.Attempts) != 3 {
			t.Fatalf("delivery %s = %s after %d attempts, want succeeded after 3", id, d.Status, len(d.Attempts))
		}
		codes := fmt.Sprint(d.Attempts[0].StatusCode, d.Attempts[1].StatusCode, d.Attempts[2].StatusCode)
		if codes != "500 500 200" || d.Attempts[0].Error != "HTTP 500" || d.Attempts[2].Error != "" {
			t.Errorf("attempts of %s = %+v, want 500 500 200", id, d.Attempts)
		}
	}
	verifier, err := standardwebhooks.NewWebhook(shown)
	if err != nil {
		t.Fatal(err)
	}
	perID := map[string]int{}
	for _, req := range rcv.requests() {
		perID[req.Header.Get("webhook-id")]++
		if err := verifier.Verify(rcv.bodies[req], req.Header); err != nil {
			t.Errorf("message %s does not verify: %v", req.Header.Get("webhook-id"), err)
		}
	}
	for _, id := range ids {
		if perID[id] != 3 {
			t.Errorf("event %s was sent %d times, want 3 (500, 500, 200)", id, perID[id])
		}
	}
	if len(perID) != 3 {
		t.Errorf("the endpoint got %d webhook-ids, want 3: %v", len(perID), perID)
	}
}

// TestWebhookGoneDisables: a 410 ends the delivery as failed and disables
// the endpoint; the next event is not sent to it.
func TestWebhookGoneDisables(t *testing.T) {
	e, sealer := webhookSetup(t, 5*time.Second)
	rcv := newReceiver(t, func(int) int { return http.StatusGone })
	w, _ := register(t, e, sealer, rcv.URL)
	j := e.enqueue(t, &userport.Job{})
	e.waitFor(t, j.ID, "completed", func(j *userport.Job) bool { return j.Status == userport.JobCompleted })
	d := waitDelivery(t, e, w, userport.EventID("dev", j.ID, userport.EventJobCompleted))
	if d.Status != userport.DeliveryFailed || len(d.Attempts) != 1 || d.Attempts[0].StatusCode != 410 {
		t.Fatalf("delivery = %s, %+v; want failed after one 410", d.Status, d.Attempts)
	}
	testutil.WaitFor(t, 10*time.Second, "the webhook to be disabled", func() (string, bool) {
		got, err := e.store.FindWebhook(context.Background(), "dev", w.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.DisabledReason, !got.Enabled()
	})
	j2 := e.enqueue(t, &userport.Job{})
	e.waitFor(t, j2.ID, "completed", func(j *userport.Job) bool { return j.Status == userport.JobCompleted })
	// The event job of j2 ran once River completed it: then no delivery exists.
	testutil.WaitFor(t, 10*time.Second, "the second event's job to finish", func() (string, bool) {
		rows := e.riverJobs(t, jobs.WebhookEventArgs{}.Kind())
		done := 0
		for _, r := range rows {
			if r.State == "completed" {
				done++
			}
		}
		return fmt.Sprintf("%d of %d event jobs completed", done, len(rows)), done == 2
	})
	if _, err := e.store.FindDelivery(context.Background(), "dev", w.ID, userport.EventID("dev", j2.ID, userport.EventJobCompleted)); userport.ErrorCode(err) != userport.ENOTFOUND {
		t.Errorf("a disabled webhook got a delivery: %v", err)
	}
	if n := len(rcv.requests()); n != 1 {
		t.Errorf("the endpoint got %d requests, want 1", n)
	}
}

// TestWebhookTimeout: an endpoint that does not answer within the timeout
// makes a failed attempt ("timed out"), retried.
func TestWebhookTimeout(t *testing.T) {
	e, sealer := webhookSetup(t, 200*time.Millisecond)
	release := make(chan struct{})
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // then a closed connection cancels r's context
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			select { // the first attempt hangs past the client's timeout
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	defer close(release) // before srv.Close
	w, _ := register(t, e, sealer, srv.URL)
	j := e.enqueue(t, &userport.Job{})
	d := waitDelivery(t, e, w, userport.EventID("dev", j.ID, userport.EventJobCompleted))
	if d.Status != userport.DeliverySucceeded || len(d.Attempts) != 2 {
		t.Fatalf("delivery = %s, %+v; want succeeded at the second attempt", d.Status, d.Attempts)
	}
	if a := d.Attempts[0]; a.StatusCode != 0 || a.Error == "" || a.LatencyMS < 150 {
		t.Errorf("first attempt = %+v, want no answer, a timeout error, about 200 ms", a)
	}
	if d.Attempts[1].StatusCode != http.StatusNoContent {
		t.Errorf("second attempt = %+v, want 204", d.Attempts[1])
	}
}

// TestWebhookFailedEvent: a failed job sends job.failed with its
// status_details and no manifest.
func TestWebhookFailedEvent(t *testing.T) {
	e, sealer := webhookSetupWith(t, 5*time.Second, failingExporter{})
	rcv := newReceiver(t, func(int) int { return http.StatusOK })
	w, _ := register(t, e, sealer, rcv.URL)
	j := e.enqueue(t, &userport.Job{})
	e.waitFor(t, j.ID, "failed", func(j *userport.Job) bool { return j.Status == userport.JobFailed })
	d := waitDelivery(t, e, w, userport.EventID("dev", j.ID, userport.EventJobFailed))
	body := string(d.Payload)
	for _, want := range []string{`"type":"job.failed"`, `"status":"failed"`, `"status_details":"The export failed`, `"id":"` + j.ID + `"`} {
		if !contains(body, want) {
			t.Errorf("body %s lacks %s", body, want)
		}
	}
	if contains(body, "manifest") || contains(body, "location") {
		t.Errorf("a failed job's body %s has a manifest or a link", body)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// failingExporter fails every export.
type failingExporter struct{}

func (failingExporter) Export(context.Context, *userport.Job, io.Writer, func(int64)) (export.Result, error) {
	return export.Result{}, errors.New("the disk is full")
}

func (f failingExporter) ExportPart(ctx context.Context, job *userport.Job, _ *userport.ExportPart, w io.Writer, p func(int64)) (export.Result, error) {
	return f.Export(ctx, job, w, p)
}

// TestWebhookExpiredEvent: the cleanup's expiry of an export's file sends
// job.expired through the same seam, with the export's manifest.
func TestWebhookExpiredEvent(t *testing.T) {
	e, sealer := webhookSetup(t, 5*time.Second)
	rcv := newReceiver(t, func(int) int { return http.StatusOK })
	w, _ := register(t, e, sealer, rcv.URL)
	j := e.enqueue(t, &userport.Job{})
	e.waitFor(t, j.ID, "completed", func(j *userport.Job) bool { return j.Status == userport.JobCompleted })
	waitDelivery(t, e, w, userport.EventID("dev", j.ID, userport.EventJobCompleted))
	e.clock.Advance(25 * time.Hour) // past the file's lifetime: the next cleanup expires it
	d := waitDelivery(t, e, w, userport.EventID("dev", j.ID, userport.EventJobExpired))
	body := string(d.Payload)
	if d.Status != userport.DeliverySucceeded || !contains(body, `"type":"job.expired"`) || !contains(body, `"status":"expired"`) ||
		!contains(body, `"manifest":{"rows":10`) {
		t.Errorf("delivery %s: %s", d.Status, body)
	}
	e.clock.Advance(7*24*time.Hour + time.Minute) // past the records' lifetime: the cleanup purges the deliveries
	testutil.WaitFor(t, 10*time.Second, "the deliveries to be purged", func() (string, bool) {
		list, err := e.store.ListDeliveries(context.Background(), "dev", w.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%d deliveries", len(list)), len(list) == 0
	})
}
