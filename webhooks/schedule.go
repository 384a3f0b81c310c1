package webhooks

import (
	"math/rand/v2"
	"net/http"
	"time"
)

// DefaultSchedule is when a delivery's attempts are made: the first at
// once, each next one this long after the one before failed (before
// jitter). A delivery whose last attempt failed has failed.
var DefaultSchedule = []time.Duration{0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour,
	5 * time.Hour, 10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour}

// MaxRetryAfter caps a Retry-After an endpoint asks for.
const MaxRetryAfter = 24 * time.Hour

// Schedule decides when a failed attempt is retried.
type Schedule struct {
	Delays []time.Duration // DefaultSchedule when nil
	// Jitter spreads a delay; nil: up to 10% either way.
	Jitter func(d time.Duration) time.Duration
}

// Outcome is what follows an attempt.
type Outcome int

// Outcomes of an attempt.
const (
	Succeeded Outcome = iota // 2xx: the delivery is done
	Retry                    // try again after the delay Next returns
	GiveUp                   // that was the last attempt
	Disable                  // 410 Gone: the endpoint is disabled
)

// Next returns what follows attempt number n (1 for the first) with result
// r, and how long to wait before the next attempt when it is Retry: the
// schedule's next delay (jittered), or the Retry-After of a 429, 502 or 504
// (at most MaxRetryAfter).
func (s Schedule) Next(n int, r Result) (Outcome, time.Duration) {
	delays := s.Delays
	if delays == nil {
		delays = DefaultSchedule
	}
	switch {
	case r.OK():
		return Succeeded, 0
	case r.StatusCode == http.StatusGone:
		return Disable, 0
	case n >= len(delays):
		return GiveUp, 0
	}
	if honoursRetryAfter(r.StatusCode) && r.RetryAfter > 0 {
		return Retry, min(r.RetryAfter, MaxRetryAfter)
	}
	return Retry, s.jitter(delays[n])
}

// honoursRetryAfter reports whether an answer's Retry-After sets the
// next attempt.
func honoursRetryAfter(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusBadGateway || code == http.StatusGatewayTimeout
}

func (s Schedule) jitter(d time.Duration) time.Duration {
	if s.Jitter != nil {
		return s.Jitter(d)
	}
	if d <= 0 {
		return 0
	}
	return d - d/10 + rand.N(d/5+1)
}
