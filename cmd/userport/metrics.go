package main

import (
	"net/http"

	"github.com/userport/userport/httpapi"
	"github.com/userport/userport/metrics"
)

// jobMetrics registers the counters of the jobs this process works.
func (m *Main) jobMetrics() *metrics.Jobs {
	if m.metrics == nil {
		m.metrics = metrics.NewProcess(false, m.Logger)
	}
	return m.metrics.Jobs()
}

// serveMetrics serves /metrics on --metrics-addr, when it is set.
func (m *Main) serveMetrics() error {
	if m.Config.MetricsAddr == "" {
		return nil
	}
	addr, err := m.metrics.ListenAndServe(m.Config.MetricsAddr, func(h http.Handler) *http.Server {
		return httpapi.NewHTTPServer(h, httpapi.HTTPOptions{Logger: m.Logger})
	})
	if err != nil {
		return err
	}
	m.Logger.Info("serving metrics", "addr", addr.String())
	return nil
}

// apiMetricsHandler is the API's GET /metrics: nil (no such route) when the
// metrics have an address of their own.
func (m *Main) apiMetricsHandler() http.Handler {
	if m.Config.MetricsAddr != "" {
		return nil
	}
	return m.metrics.Handler()
}
