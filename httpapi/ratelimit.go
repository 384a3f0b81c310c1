package httpapi

import (
	"cmp"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/userport/userport"
)

// Rate limit defaults. A client may send DefaultRateLimit requests a second
// and DefaultRateBurst at once (paging users runs at about 50 a second on
// the benchmark machines); a client id, and a remote address, may fail to
// authenticate DefaultFailureRateLimit times a second, DefaultFailureBurst
// at once.
const (
	DefaultRateLimit        = 100
	DefaultRateBurst        = 200
	DefaultFailureRateLimit = 1
	DefaultFailureBurst     = 30
	// maxBuckets is how many keys a limiter keeps before it forgets those
	// whose bucket is full again (as good as new).
	maxBuckets = 10000
)

// RateLimits are the token buckets of the API: Rate and Burst for the
// requests of each client (the access token's client id), FailureRate and
// FailureBurst for failed authentications (bad secrets at /oauth/token, bad
// tokens) of each client id and each remote address. Zero fields take the
// defaults.
type RateLimits struct {
	Rate         float64
	Burst        int
	FailureRate  float64
	FailureBurst int
}

// limiters are the server's token buckets, made on first use. They count
// real time, not the service's clock: a request rate is a wall-clock thing,
// and tests freeze and jump the service's clock.
type limiters struct {
	once     sync.Once
	clients  *buckets
	failures *buckets
}

// get returns the buckets of l, made from rl.
func (l *limiters) get(rl RateLimits) *limiters {
	l.once.Do(func() {
		l.clients = newBuckets(cmp.Or(rl.Rate, DefaultRateLimit), cmp.Or(rl.Burst, DefaultRateBurst))
		l.failures = newBuckets(cmp.Or(rl.FailureRate, DefaultFailureRateLimit), cmp.Or(rl.FailureBurst, DefaultFailureBurst))
	})
	return l
}

// quota is the state of a bucket after a request: what the x-ratelimit-*
// headers say.
type quota struct {
	ok        bool // the request may go on
	limit     int  // the bucket's size
	remaining int
	reset     time.Time     // when the bucket is full again
	retry     time.Duration // when one more request is allowed, if !ok
}

// buckets are token buckets by key.
type buckets struct {
	mu    sync.Mutex
	rate  rate.Limit
	burst int
	m     map[string]*rate.Limiter
}

// newBuckets returns buckets of perSecond tokens a second, burst at most.
func newBuckets(perSecond float64, burst int) *buckets {
	return &buckets{rate: rate.Limit(perSecond), burst: burst, m: map[string]*rate.Limiter{}}
}

// take spends a token of key's bucket, if it has one.
func (b *buckets) take(now time.Time, key string) quota {
	b.mu.Lock()
	defer b.mu.Unlock()
	lim := b.bucket(now, key)
	return b.quota(now, lim, lim.AllowN(now, 1))
}

// peek reports key's bucket without spending: ok while it has a token.
func (b *buckets) peek(now time.Time, key string) quota {
	b.mu.Lock()
	defer b.mu.Unlock()
	lim, ok := b.m[key]
	if !ok {
		return quota{ok: true, limit: b.burst, remaining: b.burst, reset: now}
	}
	return b.quota(now, lim, lim.TokensAt(now) >= 1)
}

// bucket returns key's bucket, made full when new.
func (b *buckets) bucket(now time.Time, key string) *rate.Limiter {
	if lim, ok := b.m[key]; ok {
		return lim
	}
	if len(b.m) >= maxBuckets {
		for k, lim := range b.m {
			if lim.TokensAt(now) >= float64(b.burst) {
				delete(b.m, k)
			}
		}
	}
	lim := rate.NewLimiter(b.rate, b.burst)
	b.m[key] = lim
	return lim
}

// quota describes lim after a request that ok says was allowed or not.
func (b *buckets) quota(now time.Time, lim *rate.Limiter, ok bool) quota {
	tokens := lim.TokensAt(now)
	q := quota{ok: ok, limit: b.burst, remaining: max(0, int(math.Floor(tokens))),
		reset: now.Add(b.wait(float64(b.burst) - tokens))}
	if !ok {
		q.retry = b.wait(1 - tokens)
	}
	return q
}

// wait is how long the bucket takes to gain n tokens.
func (b *buckets) wait(n float64) time.Duration {
	if n <= 0 {
		return 0
	}
	return time.Duration(n / float64(b.rate) * float64(time.Second))
}

// setRateHeaders sets the x-ratelimit-* headers of q (Auth0's names; reset in
// Unix seconds) and, when q refuses, Retry-After: the one place these
// headers are written. writeError keeps them.
func setRateHeaders(w http.ResponseWriter, q quota) {
	h := w.Header()
	h.Set("x-ratelimit-limit", strconv.Itoa(q.limit))
	h.Set("x-ratelimit-remaining", strconv.Itoa(q.remaining))
	h.Set("x-ratelimit-reset", strconv.FormatInt(q.reset.Unix(), 10))
	if !q.ok {
		h.Set("Retry-After", strconv.Itoa(retrySeconds(q)))
	}
}

// retrySeconds is q's Retry-After: whole seconds until one more request is
// allowed.
func retrySeconds(q quota) int {
	return int(math.Ceil(q.retry.Seconds()))
}

// rateLimited is the 429 of a spent bucket, in Auth0's words.
func rateLimited() error {
	return userport.Errorf(userport.ETOOMANY, "too_many_requests", "Global limit has been reached")
}

// limitReached sets the headers of a 429 for a concurrency limit of n (the
// tenant's imports or pending exports), which frees up in retryAfter at best.
func (s *Server) limitReached(w http.ResponseWriter, n int) {
	setRateHeaders(w, quota{limit: n, reset: s.Clock.Now().Add(limitRetryAfter), retry: limitRetryAfter})
}

// limitRetryAfter is what a 429 for a concurrency limit tells the client to wait.
const limitRetryAfter = 30 * time.Second

// remoteIP is the address a request came from (without its port).
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limitClient spends a token of the client's bucket; 429 when it is empty.
func (s *Server) limitClient(w http.ResponseWriter, clientID string) error {
	q := s.limits.get(s.RateLimits).clients.take(time.Now(), clientID)
	setRateHeaders(w, q)
	if !q.ok {
		return rateLimited()
	}
	return nil
}

// failureKeys are the buckets a failed authentication spends: the remote
// address's and, when known, the client id's (its first maxKeyID bytes: an
// unknown id is the caller's text).
func failureKeys(r *http.Request, clientID string) []string {
	keys := []string{"ip:" + remoteIP(r)}
	if clientID != "" {
		keys = append(keys, "client:"+clientID[:min(len(clientID), maxKeyID)])
	}
	return keys
}

// maxKeyID bounds the client id kept as a bucket key.
const maxKeyID = 128

// checkFailures sets the headers of the request's failure buckets and
// refuses it (429 with errorCode detail) when one of them is empty: before
// authenticating, so a burst of bad secrets or tokens is slowed down. The
// client id's bucket counts only for an address that has failures of its
// own (its bucket is not full): bad secrets sent from other addresses
// cannot lock a client out of an address that never failed.
func (s *Server) checkFailures(w http.ResponseWriter, r *http.Request, clientID, detail string) error {
	now, b, keys := time.Now(), s.limits.get(s.RateLimits).failures, failureKeys(r, clientID)
	q := b.peek(now, keys[0])
	if len(keys) > 1 && q.remaining < q.limit {
		q = tighter(q, b.peek(now, keys[1]))
	}
	setRateHeaders(w, q)
	if !q.ok {
		return failuresLimited(detail, clientID, q)
	}
	return nil
}

// failuresLimited is the 429 (errorCode detail) of spent failure buckets:
// what was spent, and the seconds of its Retry-After.
func failuresLimited(detail, clientID string, q quota) error {
	who, n, unit := "from this address", retrySeconds(q), "seconds"
	if clientID != "" {
		who = "for this client or address"
	}
	if n == 1 {
		unit = "second"
	}
	return userport.Errorf(userport.ETOOMANY, detail, "Too many failed authentications %s: retry in %d %s", who, n, unit)
}

// failed returns a function that spends a token of each failure bucket of
// the request and returns err.
func (s *Server) failed(w http.ResponseWriter, r *http.Request, clientID string, err error) func() error {
	return func() error {
		now, b, keys := time.Now(), s.limits.get(s.RateLimits).failures, failureKeys(r, clientID)
		q := b.take(now, keys[0])
		for _, k := range keys[1:] {
			q = tighter(q, b.take(now, k))
		}
		q.ok = true // this answer is the failure's own, not a 429
		setRateHeaders(w, q)
		return err
	}
}

// tighter returns the quota of a and b that refuses, or else has fewer left.
func tighter(a, b quota) quota {
	if a.ok && (!b.ok || b.remaining < a.remaining) {
		return b
	}
	return a
}
