package httpapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/userport/userport/httpapi"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/webhooks"
)

// createdWebhook is the answer of POST /job-webhooks and of a rotation.
type createdWebhook struct {
	ID                 string   `json:"id"`
	URL                string   `json:"url"`
	Secret             string   `json:"secret"`
	Events             []string `json:"events"`
	Enabled            bool     `json:"enabled"`
	OldSecretExpiresAt string   `json:"old_secret_expires_at"`
	CreatedAt          string   `json:"created_at"`
}

func TestWebhookCRUD(t *testing.T) {
	e := setup(t)
	r := e.admin(http.MethodPost, "/job-webhooks", map[string]any{"url": "http://127.0.0.1:9/hook"})
	r.wantStatus(t, http.StatusCreated)
	var w createdWebhook
	r.decode(t, &w)
	if !strings.HasPrefix(w.Secret, "whsec_") || len(w.Secret) != len("whsec_")+44 || !w.Enabled || len(w.Events) != 3 {
		t.Errorf("created = %+v, want a whsec_ secret of 32 bytes, enabled, three events", w)
	}
	list := e.admin(http.MethodGet, "/job-webhooks", nil)
	list.want(t, 200, `[{"id":"`+w.ID+`","url":"http://127.0.0.1:9/hook","events":["job.completed","job.failed","job.expired"],`+
		`"enabled":true,"created_at":"`+w.CreatedAt+`"}]`) // never the secret again

	rot := e.admin(http.MethodPost, "/job-webhooks/"+w.ID+"/rotate", nil)
	rot.wantStatus(t, http.StatusOK)
	var rotated createdWebhook
	rot.decode(t, &rotated)
	wantExpiry := e.Clock.Now().Add(24 * time.Hour).UTC().Format("2006-01-02T15:04:05.000Z")
	if rotated.Secret == w.Secret || !strings.HasPrefix(rotated.Secret, "whsec_") || rotated.OldSecretExpiresAt != wantExpiry {
		t.Errorf("rotated = %+v, want a new secret, the old one until %s", rotated, wantExpiry)
	}
	e.admin(http.MethodGet, "/job-webhooks/"+w.ID+"/deliveries", nil).want(t, 200, `[]`)
	e.admin(http.MethodGet, "/job-webhooks/"+w.ID+"/deliveries?per_page=0", nil).wantError(t, 400, "invalid_query_string",
		"Query validation error: 'Value 0 is less than minimum 1' on property per_page.")
	e.admin(http.MethodDelete, "/job-webhooks/"+w.ID, nil).wantStatus(t, http.StatusNoContent)
	for _, req := range [][2]string{{"DELETE", "/job-webhooks/" + w.ID}, {"POST", "/job-webhooks/" + w.ID + "/rotate"},
		{"GET", "/job-webhooks/" + w.ID + "/deliveries"}, {"DELETE", "/job-webhooks/nope"}} {
		e.admin(req[0], req[1], nil).wantError(t, 404, "inexistent_webhook", "The webhook does not exist.")
	}
}

func TestWebhookScopes(t *testing.T) {
	e := setup(t)
	tok := e.token("read:users")
	for _, tt := range []struct{ method, path, scope string }{
		{"POST", "/job-webhooks", "create:job_webhooks"},
		{"GET", "/job-webhooks", "read:job_webhooks"},
		{"DELETE", "/job-webhooks/whk_0000000000000000", "delete:job_webhooks"},
		{"POST", "/job-webhooks/whk_0000000000000000/rotate", "update:job_webhooks"},
		{"GET", "/job-webhooks/whk_0000000000000000/deliveries", "read:job_webhooks"},
	} {
		e.api(tt.method, tt.path, tok, map[string]any{"url": "https://example.com"}).wantError(t, 403, "insufficient_scope",
			"Insufficient scope, expected any of: "+tt.scope)
	}
}

// TestWebhookRefusedURLs: every refused class answers 400 with the reason.
func TestWebhookRefusedURLs(t *testing.T) {
	e := setup(t, func(s *httpapi.Server) { s.Webhooks.Guard = &webhooks.Guard{} }) // the defaults: https, public
	for _, tt := range []struct{ url, reason string }{
		{"http://93.184.216.34/hook", "the scheme must be https (http is allowed with --webhook-allow-http)"},
		{"https://127.0.0.1/hook", "127.0.0.1 is a loopback address (allowed with --webhook-allow-private)"},
		{"https://10.0.0.1/hook", "10.0.0.1 is a private address (allowed with --webhook-allow-private)"},
		{"https://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata address"},
		{"https://[fd00:ec2::254]/", "fd00:ec2::254 is a cloud metadata address"},
		{"https://169.254.10.10/", "169.254.10.10 is a link-local address"},
		{"https://0.0.0.0/", "0.0.0.0 is an unspecified address"},
		{"https://224.0.0.1/", "224.0.0.1 is a multicast address"},
		{"https://user:pw@93.184.216.34/", "the URL must not hold user information"},
	} {
		e.admin(http.MethodPost, "/job-webhooks", map[string]any{"url": tt.url}).wantError(t, 400, "invalid_body",
			"Payload validation error: 'webhook address refused: "+strings.TrimPrefix(tt.reason, "")+"' on property url.")
	}
	e.admin(http.MethodPost, "/job-webhooks", map[string]any{"url": 3}).wantStatus(t, 400)
	e.admin(http.MethodPost, "/job-webhooks", map[string]any{}).wantStatus(t, 400)
	e.admin(http.MethodPost, "/job-webhooks", map[string]any{"url": "https://93.184.216.34/", "x": 1}).wantStatus(t, 400)
}

// hookReceiver records the requests a webhook endpoint gets.
type hookReceiver struct {
	mu     sync.Mutex
	reqs   []*http.Request
	bodies [][]byte
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reqs, h.bodies = append(h.reqs, r), append(h.bodies, body)
}

func (h *hookReceiver) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.reqs)
}

// TestWebhookDeliveredAndRotated: an export's end reaches the endpoint
// signed (the reference library verifies it), shows in its deliveries
// with its attempt; after a rotation the next message verifies with the new
// secret and with the old one.
func TestWebhookDeliveredAndRotated(t *testing.T) {
	e := setup(t)
	e.work(nil)
	rcv := &hookReceiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	var w createdWebhook
	r := e.admin(http.MethodPost, "/job-webhooks", map[string]any{"url": srv.URL + "/in"})
	r.wantStatus(t, http.StatusCreated)
	r.decode(t, &w)

	export := func() string {
		r := e.admin(http.MethodPost, "/jobs/users-exports", map[string]any{"format": "json"})
		r.wantStatus(t, http.StatusOK)
		id := r.object(t)["id"].(string)
		e.completed(id)
		return id
	}
	first := export()
	testutil.WaitFor(t, 20*time.Second, "the first message", func() (string, bool) { return "", rcv.count() == 1 })
	oldVerifier, err := standardwebhooks.NewWebhook(w.Secret)
	must(t, err)
	must(t, oldVerifier.Verify(rcv.bodies[0], rcv.reqs[0].Header))
	if body := string(rcv.bodies[0]); !strings.Contains(body, `"id":"`+first+`"`) || strings.Contains(body, "location") ||
		strings.Contains(body, "http") {
		t.Errorf("message %s: want the job's id and no link", body)
	}
	testutil.WaitFor(t, 10*time.Second, "the delivery to be recorded", func() (string, bool) {
		r := e.admin(http.MethodGet, "/job-webhooks/"+w.ID+"/deliveries", nil)
		return string(r.body), strings.Contains(string(r.body), `"status":"succeeded"`)
	})
	var ds []struct {
		ID, Type, JobID, Status string
		Attempts                []struct {
			StatusCode int   `json:"status_code"`
			LatencyMS  int64 `json:"latency_ms"`
		}
	}
	e.admin(http.MethodGet, "/job-webhooks/"+w.ID+"/deliveries", nil).decode(t, &ds)
	if len(ds) != 1 || ds[0].ID != rcv.reqs[0].Header.Get("webhook-id") || ds[0].Type != "job.completed" ||
		len(ds[0].Attempts) != 1 || ds[0].Attempts[0].StatusCode != 200 {
		t.Errorf("deliveries = %+v", ds)
	}

	var rotated createdWebhook
	e.admin(http.MethodPost, "/job-webhooks/"+w.ID+"/rotate", nil).decode(t, &rotated)
	export()
	testutil.WaitFor(t, 20*time.Second, "the second message", func() (string, bool) { return "", rcv.count() == 2 })
	newVerifier, err := standardwebhooks.NewWebhook(rotated.Secret)
	must(t, err)
	for name, v := range map[string]*standardwebhooks.Webhook{"new": newVerifier, "old": oldVerifier} {
		if err := v.Verify(rcv.bodies[1], rcv.reqs[1].Header); err != nil {
			t.Errorf("the %s secret does not verify the message after the rotation: %v", name, err)
		}
	}
	if sigs := strings.Fields(rcv.reqs[1].Header.Get("webhook-signature")); len(sigs) != 2 {
		t.Errorf("signatures after a rotation = %q, want two", sigs)
	}
	e.advance(24*time.Hour + time.Minute) // the old secret stops signing
	export()
	testutil.WaitFor(t, 20*time.Second, "the third message", func() (string, bool) { return "", rcv.count() == 3 })
	if sigs := strings.Fields(rcv.reqs[2].Header.Get("webhook-signature")); len(sigs) != 1 {
		t.Errorf("signatures a day after the rotation = %q, want one", sigs)
	}
	if err := newVerifier.VerifyIgnoringTimestamp(rcv.bodies[2], rcv.reqs[2].Header); err != nil {
		t.Errorf("the new secret: %v", err)
	}
	if err := oldVerifier.VerifyIgnoringTimestamp(rcv.bodies[2], rcv.reqs[2].Header); err == nil {
		t.Error("the old secret still verifies a day after the rotation")
	}
}
