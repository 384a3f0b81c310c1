package main

import (
	"fmt"
	"net"
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
	m.metrics.AddChild("http://"+addr+"/metrics", "worker")
	return addr, nil
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
	m.metrics.Serve(l, func(h http.Handler) *http.Server {
		return httpapi.NewHTTPServer(h, httpapi.HTTPOptions{Logger: m.Logger})
	})
	m.Logger.Info("serving metrics", "addr", l.Addr().String())
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
