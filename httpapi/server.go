// Package httpapi serves userport over HTTP: the Auth0-compatible Management API
// (/api/v2), the token endpoint (/oauth/token), the JWKS, and health checks. It
// maps the application's one error vocabulary onto Auth0's error bodies in one
// place (error.go).
package httpapi

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
)

// Server holds what the handlers need. Set every field, then call Handler.
type Server struct {
	Tenant    string         // the tenant this server answers for
	PublicURL string         // "http://127.0.0.1:8080": issuer and audience derive from it
	Store     userport.Store // users, connections, clients, jobs
	Issuer    *auth.Issuer   // signs and verifies access tokens
	Keys      *auth.KeySet   // published at /.well-known/jwks.json
	Clock     userport.Clock
	Logger    *slog.Logger

	// Queue enqueues job work; nil disables the jobs API.
	Queue Queue
	// Blobs signs the download URLs of export files.
	Blobs userport.BlobStore
	// DownloadTTL is how long a signed download URL stays valid
	// (DefaultDownloadTTL when 0).
	DownloadTTL time.Duration
	// Lifetimes decides when a job's file and record are gone, and how old
	// a cursor may be (the tombstone retention).
	Lifetimes userport.Lifetimes
	// CursorKey signs the cursors of export manifests and checks those of
	// incremental exports (the secrets' cursor key, every node's the same).
	CursorKey []byte
	// Downloads serves /exports/ (the local blob store's signed URLs); may be nil.
	Downloads http.Handler
	// MaxImportBytes caps an uploaded import file (DefaultMaxImportBytes when 0).
	MaxImportBytes int64
	// MaxImportsPerTenant caps the imports pending or processing at once
	// (userport.DefaultMaxImportsPerTenant when 0).
	MaxImportsPerTenant int
	// MaxPendingExportsPerTenant caps the exports pending or processing at
	// once (DefaultMaxPendingExportsPerTenant when 0).
	MaxPendingExportsPerTenant int
	// RateLimits are the per-client request limits (defaults when zero).
	RateLimits RateLimits
	// Console serves the web console at GET / and GET /console/ (its
	// assets); may be nil. It sets its own headers; the API's answers do
	// not change.
	Console http.Handler
	// Metrics records each request's route, status and latency; may be nil.
	Metrics Metrics
	// MetricsHandler serves GET /metrics; nil: no such route (the metrics
	// are served on an address of their own, or not at all).
	MetricsHandler http.Handler
	// Webhooks serves /api/v2/job-webhooks; nil: no such routes.
	Webhooks *Webhooks

	limits  limiters
	uploads uploadSlots
	routes  []string // the patterns Handler registered
}

// handlerFunc is a handler that returns its error for the server to answer.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handler returns the HTTP handler of the whole API.
func (s *Server) Handler() http.Handler {
	mux := &routeMux{ServeMux: http.NewServeMux()}
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /readyz", s.handle(s.readyz))
	mux.Handle("POST /oauth/token", http.HandlerFunc(s.token))
	mux.Handle("GET /.well-known/jwks.json", s.handle(s.jwks))
	mux.HandleFunc("GET /api/v2/openapi.json", s.openAPI)

	mux.Handle("GET /api/v2/users", s.authorize(s.listUsers, auth.ScopeReadUsers))
	mux.Handle("POST /api/v2/users", s.authorize(s.createUser, auth.ScopeCreateUsers))
	mux.Handle("GET /api/v2/users/{id}", s.authorize(s.getUser, auth.ScopeReadUsers))
	mux.Handle("PATCH /api/v2/users/{id}", s.authorize(s.updateUser, auth.ScopeUpdateUsers))
	mux.Handle("DELETE /api/v2/users/{id}", s.authorize(s.deleteUser, auth.ScopeDeleteUsers))
	mux.Handle("GET /api/v2/users-by-email", s.authorize(s.usersByEmail, auth.ScopeReadUsers))

	mux.Handle("GET /api/v2/connections", s.authorize(s.listConnections, auth.ScopeReadConnections))
	mux.Handle("POST /api/v2/connections", s.authorize(s.createConnection, auth.ScopeCreateConnections))
	mux.Handle("GET /api/v2/connections/{id}", s.authorize(s.getConnection, auth.ScopeReadConnections))
	mux.Handle("PATCH /api/v2/connections/{id}", s.authorize(s.updateConnection, auth.ScopeUpdateConnections))
	mux.Handle("DELETE /api/v2/connections/{id}", s.authorize(s.deleteConnection, auth.ScopeDeleteConnections))

	if s.Queue != nil {
		s.routeJobs(mux)
	}
	if s.Webhooks != nil {
		s.routeWebhooks(mux)
	}
	if s.Downloads != nil {
		mux.Handle("GET /exports/", s.Downloads)
		mux.Handle("HEAD /exports/", s.Downloads)
	}
	if s.Console != nil {
		mux.Handle("GET /{$}", s.Console)
		mux.Handle("GET /console/", s.Console)
	}
	if s.MetricsHandler != nil {
		mux.Handle("GET /metrics", s.MetricsHandler)
	}
	mux.Handle("/", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return userport.Errorf(userport.ENOTFOUND, "", "Not Found")
	}))
	s.routes = mux.patterns
	return s.observe(s.recoverer(noStore(mux)))
}

// routeMux is a ServeMux that remembers the patterns registered on it.
type routeMux struct {
	*http.ServeMux
	patterns []string
}

// Handle registers h for pattern.
func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

// HandleFunc registers h for pattern.
func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}

// Routes returns the ServeMux patterns the last call of Handler registered,
// in order ("GET /api/v2/users/{id}"; "/" is the not-found fallback): the
// OpenAPI document's test checks it describes exactly these.
func (s *Server) Routes() []string { return append([]string(nil), s.routes...) }

// noStore marks every answer of the Management API and /oauth/token
// Cache-Control: no-store (they hold users, secrets and tokens); the JWKS and
// the health checks keep their own.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/oauth/token" {
			w.Header().Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// handle turns a handlerFunc into an http.Handler that answers its error.
func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.answerError(w, r, err)
		}
	})
}

// recoverer answers a panicking handler with 500 "Internal error" and logs it.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.writeError(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// maxDiscardBytes is how much of a refused request's body is read, after
// the answer, before the connection is closed.
const maxDiscardBytes = 64 << 20

// answerError answers err. When the client may still be sending a large
// body (net/http itself drains up to 256 KiB before answering), the answer is
// sent at once with Connection: close and the body is then read and dropped,
// up to maxDiscardBytes at the connection's minimum rate: the client reads
// the answer instead of a broken pipe, and a refused upload is not held up.
func (s *Server) answerError(w http.ResponseWriter, r *http.Request, err error) {
	err = stalled(w, r, err, "request_timeout")
	if !bodyPending(r) {
		s.writeError(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	if rc.EnableFullDuplex() != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Connection", "close")
	s.writeError(w, r, err)
	_ = rc.Flush()
	_, _ = io.CopyN(io.Discard, r.Body, maxDiscardBytes)
}

// bodyPending reports whether r's body may have more than net/http drains by
// itself left to read.
func bodyPending(r *http.Request) bool {
	if bodyStalled(r) {
		return false // no more of it is coming
	}
	if f, ok := r.Body.(interface{ finished() bool }); ok && f.finished() {
		return false
	}
	return r.ContentLength < 0 || r.ContentLength > 256<<10
}

// stalled is err, unless r's body stalled (bodyStalled): then, whatever the
// handler made of its failed read, the answer is 408 with the errorCode (the
// OAuth error at /oauth/token) detail, and the connection closes after it,
// since the rest of the body is not coming.
func stalled(w http.ResponseWriter, r *http.Request, err error, detail string) error {
	if !bodyStalled(r) {
		return err
	}
	w.Header().Set("Connection", "close")
	return userport.Errorf(userport.ETIMEOUT, detail, "The request body did not arrive in time")
}

// claimsKey keys the verified token claims in a request context.
type claimsKey struct{}

// authorize checks the bearer token and that it grants any of scopes, then runs h.
func (s *Server) authorize(h handlerFunc, scopes ...string) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		claims, err := s.authenticate(w, r)
		if err != nil {
			return err
		}
		if err := requireScope(claims, scopes...); err != nil {
			return err
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, claims)))
	})
}

// requireScope is the 403 insufficient_scope error unless claims grant any of scopes.
func requireScope(claims *auth.Claims, scopes ...string) error {
	if claims != nil && auth.HasAny(claims.Scopes, scopes...) {
		return nil
	}
	return userport.Errorf(userport.EFORBIDDEN, "insufficient_scope",
		"Insufficient scope, expected any of: %s", strings.Join(scopes, ","))
}

// requestClaims returns the claims authorize verified for r (nil outside authorize).
func requestClaims(r *http.Request) *auth.Claims {
	c, _ := r.Context().Value(claimsKey{}).(*auth.Claims)
	return c
}

// authenticate verifies the request's bearer token and spends a token of its
// client's rate limit; a bad token spends one of the remote address's
// failures, and while they are spent no token is looked at.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*auth.Claims, error) {
	if err := s.checkFailures(w, r, "", "too_many_requests"); err != nil {
		return nil, err
	}
	claims, err := s.verifyBearer(r)
	if err != nil {
		if userport.ErrorCode(err) == userport.EUNAUTHORIZED {
			// The answer says only "Invalid token"; the log says why.
			s.logger(r).LogAttrs(r.Context(), slog.LevelDebug, "token refused", slog.String("path", r.URL.Path), slog.Any("reason", err))
		}
		return nil, s.failed(w, r, "", err)()
	}
	return claims, s.limitClient(w, claims.ClientID)
}

// verifyBearer verifies the request's bearer token.
func (s *Server) verifyBearer(r *http.Request) (*auth.Claims, error) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return nil, userport.Errorf(userport.EUNAUTHORIZED, "", missingAuthentication)
	}
	scheme, token, ok := strings.Cut(header, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		return nil, userport.Errorf(userport.EINVALID, "Bearer", "Bad HTTP authentication header format")
	}
	return s.Issuer.Verify(r.Context(), token)
}

// healthz answers while the process is up.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers when the database is reachable.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if err := s.Store.Ping(r.Context()); err != nil {
		return &userport.Error{Code: userport.EUNAVAILABLE, Message: "Database unavailable"}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

// jwks publishes the token signing keys.
func (s *Server) jwks(w http.ResponseWriter, r *http.Request) error {
	b, err := s.Keys.JWKS()
	if err != nil {
		return fmt.Errorf("jwks: %w", err)
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeRaw(w, http.StatusOK, b)
	return nil
}
