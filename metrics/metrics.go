// Package metrics exposes userport's Prometheus metrics with
// prometheus/client_golang: HTTP requests by route and status, the jobs a
// process finished (rows, bytes, durations), gauges read from the store at
// scrape time (jobs by type and status, the queue), and the Go runtime and
// process collectors. docs/operations.md says which process exposes what.
package metrics

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every userport metric.
const namespace = "userport"

// NewRegistry returns a registry with the Go runtime and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler serves g in Prometheus' exposition formats. A collector that fails
// (the database is down) leaves its metrics out and is logged; the rest is
// still served.
func Handler(g prometheus.Gatherer, logger *slog.Logger) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
	})
}
