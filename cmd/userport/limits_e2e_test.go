package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/userport/userport"
)

// tooManyRequests is the body of a 429 for a spent rate limit, Auth0's.
const tooManyRequests = `{"statusCode":429,"error":"Too Many Requests","message":"Global limit has been reached","errorCode":"too_many_requests"}`

// wantHeaders fails unless r has each header of want (name, value pairs).
func wantHeaders(t *testing.T, r *response, want ...string) {
	t.Helper()
	for i := 0; i+1 < len(want); i += 2 {
		if got := r.header.Get(want[i]); got != want[i+1] {
			t.Errorf("%s = %q, want %q", want[i], got, want[i+1])
		}
	}
}

// TestNoStore checks that the Management API and /oauth/token answers, good
// or bad, are Cache-Control: no-store, and that the JWKS and health keep theirs.
func TestNoStore(t *testing.T) {
	t.Parallel()
	b := setup(t)
	good := url.Values{"grant_type": {"client_credentials"}, "client_id": {b.id}, "client_secret": {b.secret}, "audience": {b.audience()}}
	tests := []struct {
		name string
		send func() *response
		want string
	}{
		{"users", func() *response { return b.admin(http.MethodGet, "/users", nil) }, "no-store"},
		{"connections", func() *response { return b.admin(http.MethodGet, "/connections", nil) }, "no-store"},
		{"unknown user", func() *response { return b.admin(http.MethodGet, "/users/auth0|nobody", nil) }, "no-store"},
		{"no token", func() *response { return b.api(http.MethodGet, "/users", "", nil) }, "no-store"},
		{"token", func() *response { return b.tokenForm(good) }, "no-store"},
		{"bad secret", func() *response { return b.tokenForm(url.Values{"client_id": {b.id}, "client_secret": {"x"}}) }, "no-store"},
		{"jwks", func() *response { return b.request(http.MethodGet, "/.well-known/jwks.json", nil) }, "public, max-age=300"},
		{"healthz", func() *response { return b.request(http.MethodGet, "/healthz", nil) }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.send().header.Get("Cache-Control"); got != tt.want {
				t.Errorf("Cache-Control = %q, want %q", got, tt.want)
			}
		})
	}
}

// limitsStart starts a server whose buckets, of burst requests for clients
// and failures alike, do not refill during a test (one request in 1000 s).
func limitsStart(t *testing.T, burst int) *bundle {
	t.Helper()
	return exStart(t, func(c *Config) {
		c.RateLimit, c.RateBurst, c.FailureRateLimit, c.FailureBurst = 0.001, burst, 0.001, burst
	})
}

// wantReset fails unless r's x-ratelimit-reset is spent requests' refill
// (1000 s each) from now, within a second or two of test time.
func wantReset(t *testing.T, r *response, spent int) {
	t.Helper()
	got, err := strconv.ParseInt(r.header.Get("X-Ratelimit-Reset"), 10, 64)
	want := time.Now().Add(time.Duration(spent) * 1000 * time.Second).Unix()
	if err != nil || got < want-2 || got > want {
		t.Errorf("X-Ratelimit-Reset = %q, want about %d", r.header.Get("X-Ratelimit-Reset"), want)
	}
}

// TestClientRateLimit checks that a client's requests beyond its burst get
// Auth0's 429, and that every answer tells what is left.
func TestClientRateLimit(t *testing.T) {
	t.Parallel()
	b := limitsStart(t, 3)
	for i := range 3 {
		r := b.admin(http.MethodGet, "/users", nil)
		r.wantStatus(t, http.StatusOK)
		wantHeaders(t, r, "X-Ratelimit-Limit", "3", "X-Ratelimit-Remaining", strconv.Itoa(2-i))
		wantReset(t, r, i+1)
	}
	r := b.admin(http.MethodGet, "/users", nil)
	r.want(t, http.StatusTooManyRequests, tooManyRequests)
	wantHeaders(t, r, "X-Ratelimit-Limit", "3", "X-Ratelimit-Remaining", "0", "Retry-After", "1000")
	wantReset(t, r, 3)
	// Another token of the same client shares its bucket.
	other := b.token("read:users")
	b.api(http.MethodGet, "/users", other, nil).want(t, http.StatusTooManyRequests, tooManyRequests)
}

// TestFailureRateLimit checks that bursts of bad secrets and bad tokens are
// slowed down: past the burst, even a good secret or token is refused with
// 429, without being looked at.
func TestFailureRateLimit(t *testing.T) {
	t.Parallel()
	t.Run("bad secrets", func(t *testing.T) {
		t.Parallel()
		b := limitsStart(t, 3)
		bad := url.Values{"grant_type": {"client_credentials"}, "client_id": {b.id}, "client_secret": {"wrong"}, "audience": {b.audience()}}
		for i := range 3 {
			r := b.tokenForm(bad)
			r.wantOAuthError(t, http.StatusUnauthorized, "access_denied", "Unauthorized")
			wantHeaders(t, r, "X-Ratelimit-Limit", "3", "X-Ratelimit-Remaining", strconv.Itoa(2-i))
		}
		good := url.Values{"grant_type": {"client_credentials"}, "client_id": {b.id}, "client_secret": {b.secret}, "audience": {b.audience()}}
		r := b.tokenForm(good)
		r.wantOAuthError(t, http.StatusTooManyRequests, "access_denied",
			"Too many failed authentications for this client or address: retry in 1000 seconds")
		wantHeaders(t, r, "X-Ratelimit-Remaining", "0", "Retry-After", "1000")
	})
	t.Run("bad tokens", func(t *testing.T) {
		t.Parallel()
		b := limitsStart(t, 3)
		good := b.token()
		for range 3 {
			b.api(http.MethodGet, "/users", "not.a.token", nil).wantStatus(t, http.StatusUnauthorized)
		}
		r := b.api(http.MethodGet, "/users", good, nil)
		r.want(t, http.StatusTooManyRequests, `{"statusCode":429,"error":"Too Many Requests",`+
			`"message":"Too many failed authentications from this address: retry in 1000 seconds","errorCode":"too_many_requests"}`)
		wantHeaders(t, r, "X-Ratelimit-Remaining", "0", "Retry-After", "1000")
	})
}

// TestPendingExportsBound checks that a tenant's queue of exports is bounded:
// one more than the limit pending is refused with 429 and written nowhere.
func TestPendingExportsBound(t *testing.T) {
	t.Parallel()
	b := exStart(t, func(c *Config) { c.Jobs, c.MaxPendingExportsPerTenant = JobsNone, 2 })
	for range 2 {
		b.exPost(`{"format":"json"}`).wantStatus(t, http.StatusOK)
	}
	r := b.exPost(`{"format":"json"}`)
	r.wantError(t, http.StatusTooManyRequests, "too_many_requests",
		"There are 2 pending export users jobs, please wait until some of them are finished and try again")
	wantHeaders(t, r, "X-Ratelimit-Limit", "2", "X-Ratelimit-Remaining", "0", "Retry-After", "30")
	if n := b.exCountJobs(); n != 2 {
		t.Errorf("%d jobs, want 2", n)
	}
}

// rawImport is a multipart import request of a users file of size bytes, as
// raw HTTP: the head (request line, headers and the start of the body) and
// the rest of the body.
func rawImport(t *testing.T, b *bundle, size int) (head, rest []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("connection_id", b.connection(userport.DefaultConnectionName).ID)
	fw, _ := mw.CreateFormFile("users", "users.json")
	fw.Write([]byte(`[{"email":"a@example.com"}]`))
	fw.Write(bytes.Repeat([]byte(" "), size))
	mw.Close()
	if b.all == "" {
		b.all = b.token()
	}
	req := fmt.Sprintf("POST /api/v2/jobs/users-imports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: %s\r\nContent-Length: %d\r\n\r\n", b.all, mw.FormDataContentType(), body.Len())
	split := 1 << 10
	return append([]byte(req), body.Bytes()[:split]...), body.Bytes()[split:]
}

// readStatus reads the status of the answer on c.
func readStatus(c net.Conn) (int, error) {
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

// TestImportSlotsReserved checks that concurrent uploads of one tenant beyond
// its import limit get their 429 while the others are still streaming,
// before their own bodies are sent, and that the streaming ones are accepted.
func TestImportSlotsReserved(t *testing.T) {
	t.Parallel()
	b := exStart(t, func(c *Config) { c.Jobs, c.MaxImportsPerTenant = JobsNone, 2 })
	head, rest := rawImport(t, b, 1<<20)
	const n = 5
	conns := make([]net.Conn, n)
	statuses := make(chan int, n)
	for i := range conns {
		c, err := net.Dial("tcp", b.m.listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(20 * time.Second))
		if _, err := c.Write(head); err != nil {
			t.Fatal(err)
		}
		conns[i] = c
		go func() {
			status, err := readStatus(c)
			if err != nil {
				t.Errorf("upload %d: %v", i, err)
			}
			statuses <- status
		}()
	}
	// The uploads beyond the limit are refused with their bodies unsent.
	for range n - 2 {
		if status := <-statuses; status != http.StatusTooManyRequests {
			t.Fatalf("an upload got %d while the others stream, want 429", status)
		}
	}
	for _, c := range conns {
		c.Write(rest) // the refused ones' bodies are dropped
	}
	for range 2 {
		if status := <-statuses; status != http.StatusAccepted {
			t.Errorf("a reserved upload got %d, want 202", status)
		}
	}
}

// TestRefusedUploadAnswered checks that a client that sends its whole
// multi-MB upload before reading reads the 429 refusing it, not a broken
// pipe: the server reads and drops the body.
func TestRefusedUploadAnswered(t *testing.T) {
	t.Parallel()
	b := exStart(t, func(c *Config) { c.Jobs, c.MaxImportsPerTenant = JobsNone, 1 })
	conn := b.connection(userport.DefaultConnectionName)
	j := &userport.Job{Tenant: "dev", ID: "job_inflight00000000", Type: userport.JobUsersImport, Status: userport.JobPending,
		ConnectionID: conn.ID, Connection: conn.Name, CreatedAt: b.clock.Now(), UploadKey: "imports/none"}
	if err := b.m.store.CreateImportJob(b.ctx(), j, 1, 0, nil); err != nil {
		t.Fatal(err)
	}
	head, rest := rawImport(t, b, 16<<20)
	c, err := net.Dial("tcp", b.m.listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.Write(append(head, rest...)); err != nil {
		t.Fatalf("sending the upload: %v, want it read (and dropped) by the server", err)
	}
	status, err := readStatus(c)
	if err != nil || status != http.StatusTooManyRequests {
		t.Fatalf("answer = %d, %v; want 429", status, err)
	}
	if _, err := io.ReadAll(c); err != nil {
		t.Errorf("after the answer: %v, want the connection closed cleanly", err)
	}
}
