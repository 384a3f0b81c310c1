package httpapi_test

// The job limits: a tenant's pending exports and its imports in flight.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/httpapi"
)

// TestPendingExportsBound checks that a tenant's queue of exports is bounded:
// one more than the limit pending is refused with 429 and written nowhere.
func TestPendingExportsBound(t *testing.T) {
	t.Parallel()
	b := setup(t, func(s *httpapi.Server) { s.MaxPendingExportsPerTenant = 2 })
	for range 2 {
		b.exPost(`{"format":"json"}`).wantStatus(t, http.StatusOK)
	}
	r := b.exPost(`{"format":"json"}`)
	r.wantError(t, http.StatusTooManyRequests, "too_many_requests",
		"There are 2 pending export users jobs, please wait until some of them are finished and try again")
	r.wantHeaders(t, "X-Ratelimit-Limit", "2", "X-Ratelimit-Remaining", "0", "Retry-After", "30")
	if n := b.countJobs(userport.JobFilter{}); n != 2 {
		t.Errorf("%d jobs, want 2", n)
	}
}

// rawImport is a multipart import request of a users file of size bytes, as
// raw HTTP: the head (request line, headers and the start of the body) and
// the rest of the body.
func rawImport(t *testing.T, b *env, size int) (head, rest []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("connection_id", b.connection(userport.DefaultConnectionName).ID)
	fw, _ := mw.CreateFormFile("users", "users.json")
	fw.Write([]byte(`[{"email":"a@example.com"}]`))
	fw.Write(bytes.Repeat([]byte(" "), size))
	mw.Close()
	req := fmt.Sprintf("POST /api/v2/jobs/users-imports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: %s\r\nContent-Length: %d\r\n\r\n", b.adminToken(), mw.FormDataContentType(), body.Len())
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
	b := setup(t, func(s *httpapi.Server) { s.MaxImportsPerTenant = 2 })
	head, rest := rawImport(t, b, 1<<20)
	const n = 5
	conns := make([]net.Conn, n)
	statuses := make(chan int, n)
	for i := range conns {
		c, err := net.Dial("tcp", strings.TrimPrefix(b.base, "http://"))
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
	b := setup(t, func(s *httpapi.Server) { s.MaxImportsPerTenant = 1 })
	conn := b.connection(userport.DefaultConnectionName)
	j := &userport.Job{Tenant: b.tenant, ID: "job_inflight00000000", Type: userport.JobUsersImport, Status: userport.JobPending,
		ConnectionID: conn.ID, Connection: conn.Name, CreatedAt: b.Clock.Now(), UploadKey: "imports/none"}
	if err := b.Store.CreateImportJob(b.ctx(), j, 1, 0, nil); err != nil {
		t.Fatal(err)
	}
	head, rest := rawImport(t, b, 16<<20)
	c, err := net.Dial("tcp", strings.TrimPrefix(b.base, "http://"))
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
