package testutil

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// CutProxy is an HTTP reverse proxy to one server that breaks downloads:
// the answer to its n-th request (from 0; of those Match accepts) is cut
// after Cut[n] bytes of its body (or CutShare[n] of its Content-Length),
// its TCP connection closed as a network failure would, or has the byte
// at Flip[n] of its body changed. The requests it passes are rewritten to
// the target, Host header included, so a link presigned for the target
// works through it (Link). Set the maps before the requests they concern.
type CutProxy struct {
	URL      string                     // the proxy's base URL
	Cut      map[int]int64              // request number -> body bytes passed before the cut
	CutShare map[int]float64            // request number -> share of its Content-Length passed before the cut
	Flip     map[int]int64              // request number -> offset in its body of a byte changed
	OnCut    func(n int)                // called when request n is cut, before its connection closes
	Header   func(n int, h http.Header) // changes the headers of request n (nil: none)
	// Match says which requests are numbered (and may be cut); nil: all.
	Match func(r *http.Request) bool

	target  atomic.Pointer[url.URL]
	mu      sync.Mutex
	seen    []http.Header // the headers of each request numbered, in order
	pending int           // requests numbered so far
}

// NewCutProxy starts a proxy to target (an http URL), stopped when t ends.
func NewCutProxy(t testing.TB, target string) *CutProxy {
	t.Helper()
	p := &CutProxy{Cut: map[int]int64{}, CutShare: map[int]float64{}, Flip: map[int]int64{}}
	p.SetTarget(t, target)
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(p.target.Load()) }}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.Match == nil || p.Match(r) {
			w = p.writer(p.number(r), w)
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// SetTarget sends the requests that follow to target: a server started
// after the proxy, its address written in the server's configuration.
func (p *CutProxy) SetTarget(t testing.TB, target string) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p.target.Store(u)
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

// writer is w, breaking the body of the answer to request n as the maps
// say.
func (p *CutProxy) writer(n int, w http.ResponseWriter) http.ResponseWriter {
	bw := &breakWriter{ResponseWriter: w, cut: -1, flip: -1, onCut: func() {
		if p.OnCut != nil {
			p.OnCut(n)
		}
	}}
	if at, ok := p.Cut[n]; ok {
		bw.cut = at
	}
	if share, ok := p.CutShare[n]; ok {
		bw.share = share
	}
	if at, ok := p.Flip[n]; ok {
		bw.flip = at
	}
	return bw
}

// breakWriter passes a body on, with the byte at flip changed, up to cut
// bytes (or share of its Content-Length); then it flushes them and aborts
// the answer: net/http closes its connection.
type breakWriter struct {
	http.ResponseWriter
	cut, flip, off int64 // -1: no cut, no flip
	share          float64
	onCut          func()
}

// Write passes p on up to the cut.
func (w *breakWriter) Write(p []byte) (int, error) {
	if w.share > 0 {
		if length, err := strconv.ParseInt(w.Header().Get("Content-Length"), 10, 64); err == nil {
			w.cut, w.share = int64(float64(length)*w.share), 0
		}
	}
	if w.flip >= w.off && w.flip < w.off+int64(len(p)) {
		p = bytes.Clone(p)
		p[w.flip-w.off] ^= 0xff
	}
	if w.cut < 0 || w.off+int64(len(p)) <= w.cut {
		n, err := w.ResponseWriter.Write(p)
		w.off += int64(n)
		return n, err
	}
	n, _ := w.ResponseWriter.Write(p[:w.cut-w.off])
	w.off += int64(n)
	_ = http.NewResponseController(w.ResponseWriter).Flush()
	w.onCut()
	panic(http.ErrAbortHandler)
}

// Unwrap returns the ResponseWriter underneath, for ResponseController.
func (w *breakWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
