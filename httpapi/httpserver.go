package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync/atomic"
	"time"
)

// Connection limits and their defaults.
const (
	// DefaultReadHeaderTimeout bounds reading a request's line and headers.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultIdleTimeout is how long a keep-alive connection may wait for its
	// next request.
	DefaultIdleTimeout = 60 * time.Second
	// DefaultMinTransferRate is the slowest a request body or an answer may
	// move, in bytes per second, averaged over the grace period.
	DefaultMinTransferRate = 4 << 10
	// DefaultTransferGrace is how long a transfer may stall outright, and the
	// most time a fast transfer banks for a later slow spell.
	DefaultTransferGrace = 20 * time.Second
)

// HTTPOptions are the connection limits of the HTTP server; zero fields take
// their defaults.
type HTTPOptions struct {
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	MinTransferRate   int64 // bytes per second
	TransferGrace     time.Duration
	Logger            *slog.Logger // net/http's own errors, at warn level
}

// withDefaults returns o with its zero fields set to the defaults.
func (o HTTPOptions) withDefaults() HTTPOptions {
	if o.ReadHeaderTimeout <= 0 {
		o.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.MinTransferRate <= 0 {
		o.MinTransferRate = DefaultMinTransferRate
	}
	if o.TransferGrace <= 0 {
		o.TransferGrace = DefaultTransferGrace
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// NewHTTPServer returns the HTTP server of h: headers must arrive within
// ReadHeaderTimeout, an idle keep-alive connection closes after IdleTimeout,
// and every request body and every answer must move at MinTransferRate or
// better (a stall longer than TransferGrace cuts it), however long it is in
// all: a 1 GiB upload or download is not capped, a trickle is.
func NewHTTPServer(h http.Handler, o HTTPOptions) *http.Server {
	o = o.withDefaults()
	return &http.Server{Handler: paced(h, o), ReadHeaderTimeout: o.ReadHeaderTimeout, IdleTimeout: o.IdleTimeout,
		ErrorLog: slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn)}
}

// paced runs h with the request body and the answer under a minimum rate.
// The deadlines move with the bytes: net/http keeps a connection's deadlines
// from one request to the next, so each request starts with none and ends
// with a grace period for what net/http still reads or writes after h.
func paced(h http.Handler, o HTTPOptions) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		_ = rc.SetWriteDeadline(time.Time{})
		body := &pacedReader{ReadCloser: r.Body, pace: pace{set: rc.SetReadDeadline, rate: o.MinTransferRate, grace: o.TransferGrace}}
		pw := &pacedWriter{ResponseWriter: w, pace: pace{set: rc.SetWriteDeadline, rate: o.MinTransferRate, grace: o.TransferGrace}}
		defer afterHandler(rc, r, body, o.TransferGrace)
		r.Body = body
		h.ServeHTTP(pw, r.WithContext(context.WithValue(r.Context(), pacedKey{}, body)))
	})
}

// afterHandler sets the deadlines of what net/http reads and writes once
// the handler of r returned: the final flush of the answer gets grace; when
// the body was not read to its end, net/http first reads what is left of it
// (up to 256 KiB) for grace, and the answer gets its grace after that. A
// stalled body's deadline has passed already: net/http stops at once and
// closes the connection after the answer.
func afterHandler(rc *http.ResponseController, r *http.Request, body *pacedReader, grace time.Duration) {
	write := grace
	if r.ContentLength != 0 && !body.eof && !body.stalled.Load() {
		_ = rc.SetReadDeadline(time.Now().Add(grace))
		write += grace
	}
	_ = rc.SetWriteDeadline(time.Now().Add(write))
}

// pacedKey keys a request's pacedReader in its context: handlers may wrap
// the body (http.MaxBytesReader), and bodyStalled must still find it.
type pacedKey struct{}

// bodyStalled reports whether reading r's body failed on its pace's
// deadline: the client sent it too slowly, or stopped.
func bodyStalled(r *http.Request) bool {
	b, _ := r.Context().Value(pacedKey{}).(*pacedReader)
	return b != nil && b.stalled.Load()
}

// pace moves a connection deadline as bytes flow: it starts grace ahead of
// the first transfer, every n bytes push it n/rate seconds later, and it is
// never more than grace ahead of now. Below rate it falls behind and passes.
type pace struct {
	set      func(time.Time) error
	rate     int64
	grace    time.Duration
	deadline time.Time
}

// start sets the first deadline, once.
func (p *pace) start() {
	if p.deadline.IsZero() {
		p.deadline = time.Now().Add(p.grace)
		_ = p.set(p.deadline)
	}
}

// moved credits n bytes.
func (p *pace) moved(n int) {
	if n <= 0 {
		return
	}
	d := p.deadline.Add(time.Duration(int64(n) * int64(time.Second) / p.rate))
	if limit := time.Now().Add(p.grace); d.After(limit) {
		d = limit
	}
	p.deadline = d
	_ = p.set(d)
}

// pacedReader is a request body under a pace. At the end of the body the
// deadline is lifted: net/http then reads the connection in the background
// to notice a client going away, and a deadline passing there would cancel
// the request's context.
type pacedReader struct {
	io.ReadCloser
	pace    pace
	eof     bool
	stalled atomic.Bool // a read failed on the deadline
}

// Read reads under the pace's deadline.
func (b *pacedReader) Read(p []byte) (int, error) {
	b.pace.start()
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) {
		b.eof = true
		_ = b.pace.set(time.Time{})
		return n, err
	} else if errors.Is(err, os.ErrDeadlineExceeded) {
		b.stalled.Store(true)
	}
	b.pace.moved(n)
	return n, err
}

// finished reports whether the whole body was read.
func (b *pacedReader) finished() bool { return b.eof }

// pacedWriter is an answer under a pace.
type pacedWriter struct {
	http.ResponseWriter
	pace pace
}

// Write writes under the pace's deadline.
func (w *pacedWriter) Write(p []byte) (int, error) {
	w.pace.start()
	n, err := w.ResponseWriter.Write(p)
	w.pace.moved(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (w *pacedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
