package webhooks_test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/webhooks"
)

// nodeCase is one message for sdktest/verify-webhook.mjs.
type nodeCase struct {
	Name    string            `json:"name"`
	Secret  string            `json:"secret"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// TestNodeVerifies: the Standard Webhooks reference library for JavaScript
// (npm standardwebhooks, installed by `npm ci` in sdktest/) verifies the
// messages a Client sends (captured by a receiver): with one secret, and
// after a rotation with either secret; a changed body and another secret
// fail. Skipped without node and the package, unless
// USERPORT_TEST_NODE_SDK=1 (CI), which makes that a failure.
func TestNodeVerifies(t *testing.T) {
	dir := testutil.NodePackage(t, "the standardwebhooks (npm) check", "standardwebhooks", "")
	oldSecret, newSecret := webhooks.NewSecret(), webhooks.NewSecret()
	body := []byte(`{"type":"job.completed","timestamp":"2026-12-07T00:00:00.000Z","data":{"id":"job_1","type":"users_export","status":"completed"}}`)
	one := capture(t, webhooks.Message{ID: "msg_1", At: time.Now(), Body: body, Secrets: [][]byte{oldSecret}})
	both := capture(t, webhooks.Message{ID: "msg_2", At: time.Now(), Body: body, Secrets: [][]byte{newSecret, oldSecret}})
	cases := []nodeCase{
		{"one secret", webhooks.ShowSecret(oldSecret), one, string(body)},
		{"rotated, new secret", webhooks.ShowSecret(newSecret), both, string(body)},
		{"rotated, old secret", webhooks.ShowSecret(oldSecret), both, string(body)},
		{"changed body", webhooks.ShowSecret(oldSecret), one, string(body) + " "},
		{"another secret", webhooks.ShowSecret(webhooks.NewSecret()), one, string(body)},
	}
	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", "verify-webhook.mjs")
	cmd.Dir, cmd.Stdin = dir, bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node verify-webhook.mjs: %v", err)
	}
	var got map[string]string
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node's answer %s: %v", out, err)
	}
	for _, c := range cases[:3] {
		if got[c.Name] != "ok" {
			t.Errorf("%s: %q, want ok", c.Name, got[c.Name])
		}
	}
	for _, c := range cases[3:] {
		if got[c.Name] == "ok" || got[c.Name] == "" {
			t.Errorf("%s: %q, want a refusal", c.Name, got[c.Name])
		}
	}
}

// capture sends m to a receiver and returns the Standard Webhooks headers
// it got.
func capture(t *testing.T, m webhooks.Message) map[string]string {
	t.Helper()
	got := make(chan map[string]string, 1)
	srv := newServer(func(h map[string]string) { got <- h })
	defer srv.Close()
	m.URL = srv.URL
	c := webhooks.NewClient(&webhooks.Guard{AllowHTTP: true, AllowPrivate: true}, webhooks.ClientOptions{Proxy: noProxy})
	if res := c.Send(t.Context(), m); !res.OK() {
		t.Fatalf("Send: %d %v", res.StatusCode, res.Err)
	}
	h := <-got
	if h["webhook-timestamp"] != strconv.FormatInt(m.At.Unix(), 10) || h["webhook-id"] != m.ID {
		t.Fatalf("headers %v", h)
	}
	return h
}
