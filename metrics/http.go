package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// HTTP counts the API's requests; it implements httpapi.Metrics.
type HTTP struct {
	inFlight prometheus.Gauge
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// unmatched is the route label of a request no pattern matched (a redirect
// of an unclean path).
const unmatched = "unmatched"

// NewHTTP registers the HTTP metrics in reg.
func NewHTTP(reg prometheus.Registerer) *HTTP {
	h := &HTTP{
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Subsystem: "http",
			Name: "requests_in_flight", Help: "Requests being served."}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: "http",
			Name: "requests_total", Help: "Answered requests by route (the ServeMux pattern that matched; \"/\" for unknown paths) and status code."},
			[]string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Subsystem: "http",
			Name: "request_duration_seconds", Help: "Time to answer a request, by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}},
			[]string{"route"}),
	}
	reg.MustRegister(h.inFlight, h.requests, h.latency)
	return h
}

// Started counts a request in flight.
func (h *HTTP) Started() { h.inFlight.Inc() }

// Finished records an answered request. route is a registered pattern, so
// the label values are as few as the routes; code is a status code.
func (h *HTTP) Finished(route string, status int, d time.Duration) {
	h.inFlight.Dec()
	if route == "" {
		route = unmatched
	}
	h.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	h.latency.WithLabelValues(route).Observe(d.Seconds())
}
