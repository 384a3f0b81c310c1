package testutil

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
)

// CutProxy is an HTTP reverse proxy to one server that breaks downloads:
// the answer to its n-th request (from 0) is cut after Cut[n] bytes of its
// body, its TCP connection closed as a network failure would. The requests
// it passes are rewritten to the target, Host header included, so a link
// presigned for the target works through it (Link).
type CutProxy struct {
	URL    string                     // the proxy's base URL
	target *url.URL                   // where requests go
	Cut    map[int]int64              // request number -> body bytes passed before the cut
	OnCut  func(n int)                // called when request n is cut, before its connection closes
	Header func(n int, h http.Header) // changes the headers of request n (nil: none)

	mu      sync.Mutex
	seen    []http.Header // the headers of each request, in order
	pending int           // requests numbered so far
}

// NewCutProxy starts a proxy to target (an http URL), stopped when t ends.
func NewCutProxy(t testing.TB, target string) *CutProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &CutProxy{target: u, Cut: map[int]int64{}}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u) }}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := p.number(r)
		if left, ok := p.Cut[n]; ok {
			w = &cutWriter{ResponseWriter: w, left: left, cut: func() { p.cut(n) }}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// Link is the link u (to the target) through the proxy.
func (p *CutProxy) Link(u string) string {
	l, err := url.Parse(u)
	if err != nil {
		panic(err)
	}
	proxy, _ := url.Parse(p.URL)
	l.Scheme, l.Host = proxy.Scheme, proxy.Host
	return l.String()
}

// Requests returns the headers of the requests seen so far, in order.
func (p *CutProxy) Requests() []http.Header {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]http.Header(nil), p.seen...)
}

// number numbers request r, records its headers and applies Header.
func (p *CutProxy) number(r *http.Request) int {
	p.mu.Lock()
	n := p.pending
	p.pending++
	p.mu.Unlock()
	if p.Header != nil {
		p.Header(n, r.Header)
	}
	p.mu.Lock()
	p.seen = append(p.seen, r.Header.Clone())
	p.mu.Unlock()
	return n
}

func (p *CutProxy) cut(n int) {
	if p.OnCut != nil {
		p.OnCut(n)
	}
}

// cutWriter passes left bytes of a body on, then flushes them and aborts
// the answer: net/http closes its connection.
type cutWriter struct {
	http.ResponseWriter
	left int64
	cut  func()
}

// Write passes p on up to the cut.
func (w *cutWriter) Write(p []byte) (int, error) {
	if int64(len(p)) <= w.left {
		w.left -= int64(len(p))
		return w.ResponseWriter.Write(p)
	}
	n, _ := w.ResponseWriter.Write(p[:w.left])
	w.left -= int64(n)
	_ = http.NewResponseController(w.ResponseWriter).Flush()
	w.cut()
	panic(http.ErrAbortHandler)
}

// Unwrap returns the ResponseWriter underneath, for ResponseController.
func (w *cutWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
