package metrics

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
)

// Process is what one process exposes: its registry (the Go runtime and
// process collectors), the API's request metrics in a process that serves
// the API, the counters of the jobs it works, a child worker's job families,
// and, when given an address of its own, the server of its /metrics.
type Process struct {
	Registry *prometheus.Registry
	HTTP     *HTTP // nil in a process without the API
	gather   prometheus.Gatherers
	logger   *slog.Logger
	server   *http.Server // nil until Serve
	served   chan error   // nil until Serve
}

// NewProcess returns the metrics of a process, with the API's request
// metrics when api; logger receives the failures of collectors.
func NewProcess(api bool, logger *slog.Logger) *Process {
	reg := NewRegistry()
	p := &Process{Registry: reg, gather: prometheus.Gatherers{reg}, logger: logger}
	if api {
		p.HTTP = NewHTTP(reg)
	}
	return p
}

// Jobs registers the counters of the jobs this process works.
func (p *Process) Jobs() *Jobs { return NewJobs(p.Registry) }

// AddChild makes the job families of a child process, read from its
// /metrics at url at scrape time and labelled process, part of this one's.
func (p *Process) AddChild(url, process string) {
	p.gather = append(p.gather, &Remote{URL: url, Process: process})
}

// AddLocalChild picks a free loopback address for the /metrics of a child
// process (given as its --metrics-addr) and adds the child at it
// (AddChild), labelled process.
func (p *Process) AddLocalChild(process string) (addr string, err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("pick the %s's metrics address: %w", process, err)
	}
	addr = l.Addr().String()
	if err := l.Close(); err != nil {
		return "", err
	}
	p.AddChild("http://"+addr+"/metrics", process)
	return addr, nil
}

// Handler serves what the process gathers.
func (p *Process) Handler() http.Handler { return Handler(p.gather, p.logger) }

// Serve serves GET /metrics on l, with the server newServer makes of the
// handler, until Close; Served reports an end that Close did not ask for.
func (p *Process) Serve(l net.Listener, newServer func(http.Handler) *http.Server) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", p.Handler())
	p.server, p.served = newServer(mux), make(chan error, 1)
	go func() {
		if err := p.server.Serve(l); !errors.Is(err, http.ErrServerClosed) {
			p.served <- err
		}
		close(p.served)
	}()
}

// ListenAndServe listens on addr and Serves there; it returns the address
// it listens on.
func (p *Process) ListenAndServe(addr string, newServer func(http.Handler) *http.Server) (net.Addr, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for metrics on %s: %w", addr, err)
	}
	p.Serve(l, newServer)
	return l.Addr(), nil
}

// Served receives the error that ended Serve, and is closed when it ends;
// without Serve it never receives.
func (p *Process) Served() <-chan error { return p.served }

// Close stops the server of Serve, if any.
func (p *Process) Close() error {
	if p == nil || p.server == nil {
		return nil
	}
	err := p.server.Close()
	p.server = nil
	return err
}
