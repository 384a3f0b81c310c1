package webhooks_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/userport/userport"
	"github.com/userport/userport/webhooks"
)

// TestSignVerifiesWithReference: the reference library (Go, v1.3.0)
// verifies what Sign signs, with the secret as ShowSecret shows it, and
// refuses a changed body; after a rotation, a header with both signatures
// verifies with either secret.
func TestSignVerifiesWithReference(t *testing.T) {
	oldSecret, newSecret := webhooks.NewSecret(), webhooks.NewSecret()
	body := []byte(`{"type":"job.completed","timestamp":"2026-12-07T00:00:00.000Z","data":{}}`)
	now := time.Now()
	h := http.Header{}
	h.Set("webhook-id", "msg_abc")
	h.Set("webhook-timestamp", strconvUnix(now))
	h.Set("webhook-signature", webhooks.SignatureHeader([][]byte{newSecret, oldSecret}, "msg_abc", now, body))
	for _, s := range [][]byte{newSecret, oldSecret} {
		v, err := standardwebhooks.NewWebhook(webhooks.ShowSecret(s))
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Verify(body, h); err != nil {
			t.Errorf("Verify: %v", err)
		}
		if err := v.Verify(append(bytes.Clone(body), ' '), h); err == nil {
			t.Error("a changed body verified")
		}
		want, _ := v.Sign("msg_abc", now, body)
		if !strings.Contains(h.Get("webhook-signature"), want) {
			t.Errorf("header %q lacks the reference signature %q", h.Get("webhook-signature"), want)
		}
	}
	other, _ := standardwebhooks.NewWebhook(webhooks.ShowSecret(webhooks.NewSecret()))
	if err := other.Verify(body, h); err == nil {
		t.Error("another secret verified")
	}
}

func TestShowSecret(t *testing.T) {
	s := webhooks.NewSecret()
	shown := webhooks.ShowSecret(s)
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(shown, "whsec_"))
	if !strings.HasPrefix(shown, "whsec_") || err != nil || !bytes.Equal(raw, s) || len(s) != 32 {
		t.Errorf("ShowSecret = %q (%v), want whsec_ + base64 of the 32 bytes", shown, err)
	}
}

func TestSealer(t *testing.T) {
	a, b := webhooks.NewSealer([]byte("key a")), webhooks.NewSealer([]byte("key b"))
	secret := webhooks.NewSecret()
	sealed := a.Seal("whk_1", secret)
	if bytes.Contains(sealed, secret) {
		t.Fatal("the sealed value holds the secret")
	}
	if got, err := a.Open("whk_1", sealed); err != nil || !bytes.Equal(got, secret) {
		t.Errorf("Open = %x, %v", got, err)
	}
	if _, err := a.Open("whk_2", sealed); err == nil {
		t.Error("a secret opened as another webhook's")
	}
	if _, err := b.Open("whk_1", sealed); err == nil {
		t.Error("a secret opened with another key")
	}
}

// TestSchedule: the attempts' delays, Retry-After, 410 and the end.
func TestSchedule(t *testing.T) {
	s := webhooks.Schedule{Jitter: func(d time.Duration) time.Duration { return d }}
	var got []time.Duration
	for n := 1; ; n++ {
		o, d := s.Next(n, webhooks.Result{StatusCode: 500})
		if o == webhooks.GiveUp {
			if n != 10 {
				t.Errorf("gave up after attempt %d, want 10", n)
			}
			break
		}
		got = append(got, d)
	}
	want := "[5s 5m0s 30m0s 2h0m0s 5h0m0s 10h0m0s 14h0m0s 20h0m0s 24h0m0s]"
	if fmtDurations(got) != want {
		t.Errorf("delays = %s, want %s", fmtDurations(got), want)
	}
	tests := []struct {
		res     webhooks.Result
		outcome webhooks.Outcome
		delay   time.Duration
	}{
		{webhooks.Result{StatusCode: 204}, webhooks.Succeeded, 0},
		{webhooks.Result{StatusCode: 301}, webhooks.Retry, 5 * time.Minute},
		{webhooks.Result{StatusCode: 410}, webhooks.Disable, 0},
		{webhooks.Result{StatusCode: 429, RetryAfter: 42 * time.Second}, webhooks.Retry, 42 * time.Second},
		{webhooks.Result{StatusCode: 502, RetryAfter: time.Second}, webhooks.Retry, time.Second},
		{webhooks.Result{StatusCode: 504, RetryAfter: 48 * time.Hour}, webhooks.Retry, 24 * time.Hour},
		{webhooks.Result{StatusCode: 503, RetryAfter: time.Second}, webhooks.Retry, 5 * time.Minute}, // not honoured
		{webhooks.Result{Err: http.ErrHandlerTimeout}, webhooks.Retry, 5 * time.Minute},
	}
	for _, tt := range tests {
		o, d := s.Next(2, tt.res)
		if o != tt.outcome || d != tt.delay {
			t.Errorf("Next(2, %+v) = %v, %v; want %v, %v", tt.res, o, d, tt.outcome, tt.delay)
		}
	}
	jittered := webhooks.Schedule{}
	for range 100 {
		if _, d := jittered.Next(1, webhooks.Result{StatusCode: 500}); d < 4500*time.Millisecond || d > 5500*time.Millisecond {
			t.Fatalf("jittered 5 s = %v, want within 10%%", d)
		}
	}
}

// TestBody: an event names its job and never a link; a manifest too large
// for MaxEventBytes drops its fields.
func TestBody(t *testing.T) {
	at := time.Date(2026, 12, 7, 1, 2, 3, 4_000_000, time.UTC)
	j := &userport.Job{ID: "job_1", Type: userport.JobUsersExport, Status: userport.JobCompleted, Format: userport.FormatCSV,
		FileKey: "dev/job_1/dev.csv.gz", FileName: "dev.csv.gz", Rows: 3, FileBytes: 99, SHA256: "ab", CreatedAt: at, CompletedAt: at,
		Fields: []userport.Field{{Name: "email"}}}
	b, err := webhooks.Body(userport.EventJobCompleted, j, at)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"job.completed","timestamp":"2026-12-07T01:02:03.004Z","data":{"id":"job_1","type":"users_export",` +
		`"status":"completed","created_at":"2026-12-07T01:02:03.004Z","completed_at":"2026-12-07T01:02:03.004Z",` +
		`"manifest":{"rows":3,"tombstones":0,"bytes":99,"sha256":"ab","format":"csv","fields":[{"name":"email"}]}}}`
	if string(b) != want {
		t.Errorf("body =\n%s\nwant\n%s", b, want)
	}
	for range 30 {
		j.Fields = append(j.Fields, userport.Field{Name: strings.Repeat("x", 1000)})
	}
	b, err = webhooks.Body(userport.EventJobCompleted, j, at)
	if err != nil || len(b) > webhooks.MaxEventBytes || !json.Valid(b) || !strings.Contains(string(b), `"truncated":true`) {
		t.Errorf("a large manifest: %d bytes, %v: %s", len(b), err, b)
	}
}

func strconvUnix(t time.Time) string { return itoa(int(t.Unix())) }

func fmtDurations(ds []time.Duration) string {
	var s []string
	for _, d := range ds {
		s = append(s, d.String())
	}
	return "[" + strings.Join(s, " ") + "]"
}
