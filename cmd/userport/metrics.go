package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/userport/userport/httpapi"
	"github.com/userport/userport/metrics"
)

// processMetrics is what the process exposes to Prometheus.
type processMetrics struct {
	registry *prometheus.Registry
	http     *metrics.HTTP // serve only
	gather   prometheus.Gatherers
	server   *http.Server // on --metrics-addr; nil without one
	served   chan error
}

// openMetrics builds the registry (runtime and process collectors) and,
// for serve, the HTTP metrics.
func (m *Main) openMetrics(api bool) {
	reg := metrics.NewRegistry()
	m.metrics = &processMetrics{registry: reg, gather: prometheus.Gatherers{reg}}
	if api {
		m.metrics.http = metrics.NewHTTP(reg)
	}
}

// jobMetrics registers the counters of the jobs this process works.
func (m *Main) jobMetrics() *metrics.Jobs {
	if m.metrics == nil {
		m.openMetrics(false)
	}
	return metrics.NewJobs(m.metrics.registry)
}

// storeMetrics registers the gauges read from the database at scrape time
// (API processes: every node shows the same figures).
func (m *Main) storeMetrics() {
	m.metrics.registry.MustRegister(&metrics.Store{Jobs: m.store, Queue: m.engine})
}

// childMetricsAddr picks a free loopback address for the child worker's
// metrics, whose job counters serve's /metrics then shows too.
func (m *Main) childMetricsAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("pick the job worker's metrics address: %w", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", err
	}
	m.metrics.gather = append(m.metrics.gather, &metrics.Remote{URL: "http://" + addr + "/metrics", Process: "worker"})
	return addr, nil
}

// metricsHandler serves what the process gathers.
func (m *Main) metricsHandler() http.Handler {
	return metrics.Handler(m.metrics.gather, m.Logger)
}

// serveMetrics serves /metrics on --metrics-addr, when it is set.
func (m *Main) serveMetrics() error {
	if m.Config.MetricsAddr == "" {
		return nil
	}
	l, err := net.Listen("tcp", m.Config.MetricsAddr)
	if err != nil {
		return fmt.Errorf("listen for metrics on %s: %w", m.Config.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.metricsHandler())
	m.metrics.server = httpapi.NewHTTPServer(mux, httpapi.HTTPOptions{Logger: m.Logger})
	m.metrics.served = make(chan error, 1)
	go func() {
		if err := m.metrics.server.Serve(l); !errors.Is(err, http.ErrServerClosed) {
			m.metrics.served <- err
		}
		close(m.metrics.served)
	}()
	m.Logger.Info("serving metrics", "addr", l.Addr().String())
	return nil
}

// closeMetrics stops the metrics server, if any.
func (m *Main) closeMetrics() error {
	if m.metrics == nil || m.metrics.server == nil {
		return nil
	}
	err := m.metrics.server.Close()
	m.metrics.server = nil
	return err
}

// apiMetricsHandler is the API's GET /metrics: nil (no such route) when the
// metrics have an address of their own.
func (m *Main) apiMetricsHandler() http.Handler {
	if m.Config.MetricsAddr != "" {
		return nil
	}
	return m.metricsHandler()
}
