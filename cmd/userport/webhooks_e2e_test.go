package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/userport/userport/internal/testutil"
)

// TestWebhookThroughChildWorker runs `userport serve` (its jobs in the child
// worker process it starts) with --webhook-allow-http and
// --webhook-allow-private: a webhook registered through the API on a
// loopback receiver gets the export's job.completed from the child, which
// was given the same settings and opens the secret with the same
// webhook-key; the reference library verifies it.
func TestWebhookThroughChildWorker(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs serve with its worker process")
	}
	var mu sync.Mutex
	var got []*http.Request
	var bodies [][]byte
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, bodies = append(got, r), append(bodies, body)
		mu.Unlock()
	}))
	defer rcv.Close()
	bin := buildUserport(t)
	addr := imFreeAddr(t)
	imStartServe(t, bin, t.TempDir(), addr, "--webhook-allow-http", "--webhook-allow-private")
	b := secretsClient(t, addr, "http://"+addr)

	r := b.admin(http.MethodPost, "/job-webhooks", map[string]any{"url": rcv.URL + "/hook"})
	r.wantStatus(t, http.StatusCreated)
	var hook struct{ ID, Secret string }
	r.decode(t, &hook)
	r = b.admin(http.MethodPost, "/jobs/users-exports", map[string]any{"format": "json"})
	r.wantStatus(t, http.StatusOK)
	var job struct{ ID string }
	r.decode(t, &job)
	testutil.WaitFor(t, 60*time.Second, "the webhook of "+job.ID, func() (string, bool) {
		mu.Lock()
		defer mu.Unlock()
		return "", len(got) > 0
	})
	mu.Lock()
	defer mu.Unlock()
	v, err := standardwebhooks.NewWebhook(hook.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(bodies[0], got[0].Header); err != nil {
		t.Errorf("the child's message does not verify: %v (%s)", err, bodies[0])
	}
	if want := `"id":"` + job.ID + `"`; !strings.Contains(string(bodies[0]), want) {
		t.Errorf("message %s lacks %s", bodies[0], want)
	}
}
