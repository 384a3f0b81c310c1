package httpapi_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/httpapi"
	"github.com/userport/userport/localblob"
)

// fastOptions are connection limits short enough for a test to see them act.
var fastOptions = httpapi.HTTPOptions{IdleTimeout: 200 * time.Millisecond, MinTransferRate: 64 << 10, TransferGrace: 300 * time.Millisecond}

// serve runs NewHTTPServer(h, o) on 127.0.0.1:0 until t ends; it returns the
// address.
func serve(t *testing.T, h http.Handler, o httpapi.HTTPOptions) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httpapi.NewHTTPServer(h, o)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// dial opens a raw connection that gives up reading after 10 s.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	return c
}

// handlerDone runs h and sends what it reports on the returned channel.
func handlerDone(h func(w http.ResponseWriter, r *http.Request) error) (http.Handler, <-chan error) {
	done := make(chan error, 1)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { done <- h(w, r) }), done
}

// waitDone waits up to 10 s for a handler to finish.
func waitDone(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("the handler is still running after 10 s")
		return nil
	}
}

// TestIdleConnectionClosed checks that a keep-alive connection left idle is
// closed by the server after its idle timeout.
func TestIdleConnectionClosed(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	c := dial(t, serve(t, h, fastOptions))
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	if res.Close {
		t.Fatal("the server closed the connection at once; want keep-alive")
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("idle connection read = %v, want io.EOF (closed by the server)", err)
	}
}

// TestSlowBodyCutOff checks that a request body trickled below the minimum
// rate is cut off, and that one sent at speed is read in full.
func TestSlowBodyCutOff(t *testing.T) {
	h, done := handlerDone(func(w http.ResponseWriter, r *http.Request) error {
		_, err := io.Copy(io.Discard, r.Body)
		return err
	})
	addr := serve(t, h, fastOptions)

	fast := dial(t, addr)
	fmt.Fprintf(fast, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n%s", strings.Repeat("a", 1<<20))
	if err := waitDone(t, done); err != nil {
		t.Fatalf("a body sent at speed: %v", err)
	}

	slow := dial(t, addr)
	fmt.Fprintf(slow, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n")
	stop := make(chan struct{})
	defer close(stop)
	go func() { // 100 bytes every 20 ms: 5 kB/s, under 64 kB/s
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				if _, err := slow.Write([]byte(strings.Repeat("b", 100))); err != nil {
					return
				}
			}
		}
	}()
	if err := waitDone(t, done); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a trickled body read = %v, want a timeout", err)
	}
}

// TestSlowDownloadCutOff checks that an export download read below the
// minimum rate is cut off: the blob store's handler returns instead of
// waiting on the client for ever.
func TestSlowDownloadCutOff(t *testing.T) {
	ctx := context.Background()
	store, err := localblob.New(t.TempDir(), "http://127.0.0.1/", make([]byte, 32), userport.SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := store.Create(ctx, "exports/dev/big.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(w, rand.Reader, 32<<20); err != nil { // more than the sockets buffer
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	signed, err := store.SignedURL(ctx, "exports/dev/big.json.gz", time.Minute, "")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(signed)
	h, done := handlerDone(func(w http.ResponseWriter, r *http.Request) error {
		store.Handler().ServeHTTP(w, r)
		return nil
	})
	c := dial(t, serve(t, h, fastOptions))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", u.RequestURI())
	stop := make(chan struct{})
	defer close(stop)
	go func() { // 100 bytes every 20 ms
		buf := make([]byte, 100)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				if _, err := c.Read(buf); err != nil {
					return
				}
			}
		}
	}()
	waitDone(t, done)
}
