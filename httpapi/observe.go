package httpapi

import (
	"cmp"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/logctx"
)

// Metrics records what the server observes of its requests;
// metrics.HTTP implements it.
type Metrics interface {
	// Started counts a request in flight until the matching Finished.
	Started()
	// Finished records one answered request: route is the ServeMux pattern
	// that matched ("GET /api/v2/users/{id}"; "/" for an unknown path), never
	// the raw path, so the series stay bounded.
	Finished(route string, status int, d time.Duration)
}

// RequestIDHeader carries a request's id, in and out.
const RequestIDHeader = "X-Request-Id"

// requestIDPattern is what an incoming request id must look like to be kept:
// short, and nothing that could forge a log line or a header.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:/+=-]{1,128}$`)

// requestID returns the request's own id when it is sane, else a new one.
func requestID(r *http.Request) string {
	if id := r.Header.Get(RequestIDHeader); requestIDPattern.MatchString(id) {
		return id
	}
	return userport.RandomString(20)
}

// observe gives each request an id (echoed in X-Request-Id) and a logger
// carrying it in the request's context, records its route, status and
// latency in s.Metrics, and logs it at debug level.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := requestID(r)
		w.Header().Set(RequestIDHeader, id)
		log := cmp.Or(s.Logger, discard).With(slog.String("request_id", id))
		r = r.WithContext(logctx.With(r.Context(), log))
		sw := &statusWriter{ResponseWriter: w}
		began := time.Now()
		if s.Metrics != nil {
			s.Metrics.Started()
		}
		defer func() { // deferred: an aborted answer counts too
			d := time.Since(began)
			if s.Metrics != nil {
				s.Metrics.Finished(r.Pattern, sw.code(), d)
			}
			log.LogAttrs(r.Context(), slog.LevelDebug, "request", slog.String("method", r.Method),
				slog.String("route", r.Pattern), slog.Int("status", sw.code()), slog.Duration("duration", d))
		}()
		next.ServeHTTP(sw, r) // the ServeMux sets r.Pattern
	})
}

// discard is the logger of a Server without one.
var discard = slog.New(slog.DiscardHandler)

// logger returns the request's logger (with its request id).
func (s *Server) logger(r *http.Request) *slog.Logger {
	return logctx.From(r.Context(), s.Logger)
}

// statusWriter remembers the status of the answer.
type statusWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the status.
func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records the implicit 200.
func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// code is the answer's status: 200 when the handler wrote nothing.
func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
