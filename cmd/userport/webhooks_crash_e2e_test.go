package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/userport/userport/internal/testutil"
)

// TestWebhookSurvivesAWorkerCrash kills serve and its worker (kill -9)
// while the endpoint holds the first attempt of an export's message
// unanswered, then starts serve again on the same data dir: River rescues
// the delivery's job and the new worker sends the message again, with the
// same webhook-id, and records its success (the killed attempt was never
// recorded). Nothing is lost between the job's end and its delivery.
func TestWebhookSurvivesAWorkerCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills serve and its worker process")
	}
	var mu sync.Mutex
	var ids []string
	first, release := make(chan struct{}), make(chan struct{})
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		mu.Lock()
		ids = append(ids, r.Header.Get("webhook-id"))
		n := len(ids)
		mu.Unlock()
		if n == 1 {
			close(first)
			select { // held until the worker that sent it is dead
			case <-release:
			case <-r.Context().Done():
			}
		}
	}))
	defer rcv.Close()
	defer close(release) // before rcv.Close
	bin, dir, addr := buildUserport(t), t.TempDir(), imFreeAddr(t)
	flags := []string{"--webhook-allow-http", "--webhook-allow-private"}
	p := imStartServe(t, bin, dir, addr, flags...)
	b := secretsClient(t, addr, "http://"+addr)
	r := b.admin(http.MethodPost, "/job-webhooks", map[string]any{"url": rcv.URL})
	r.wantStatus(t, http.StatusCreated)
	var hook struct{ ID string }
	r.decode(t, &hook)
	b.admin(http.MethodPost, "/jobs/users-exports", map[string]any{"format": "json"}).wantStatus(t, http.StatusOK)
	select {
	case <-first:
	case <-time.After(60 * time.Second):
		t.Fatalf("no message within 60 s:\n%s", p.logs.String())
	}
	p.kill()

	p = imStartServe(t, bin, dir, addr, flags...)
	b = secretsClient(t, addr, "http://"+addr)
	var body string
	testutil.WaitFor(t, 90*time.Second, "the message again and its success recorded", func() (string, bool) {
		body = string(b.admin(http.MethodGet, "/job-webhooks/"+hook.ID+"/deliveries", nil).body)
		mu.Lock()
		defer mu.Unlock()
		return fmt.Sprintf("%d requests; deliveries %s", len(ids), body), len(ids) >= 2 && strings.Contains(body, `"status":"succeeded"`)
	})
	mu.Lock()
	defer mu.Unlock()
	if ids[1] != ids[0] || len(ids) != 2 {
		t.Errorf("webhook-ids %q, want the same id twice", ids)
	}
	if !strings.Contains(body, `"attempts":[{"at":`) || strings.Contains(body, `},{"at":`) {
		t.Errorf("deliveries %s: want one attempt recorded (the killed one never was)", body)
	}
}
