package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/userport/userport"
)

// JobCounter counts the jobs of every tenant by type and status;
// userport.Store implements it.
type JobCounter interface {
	JobCounts(ctx context.Context) ([]userport.JobCount, error)
}

// QueueCounter counts the queue's entries by state (available, scheduled,
// retryable, running); jobs.Engine implements it.
type QueueCounter interface {
	QueueCounts(ctx context.Context) (map[string]int64, error)
}

// Store is a collector of gauges read from the database at scrape time, so
// that every API node shows the same figures whichever process runs the
// jobs: userport_jobs{type,status} and userport_queue_jobs{state}. A read
// is kept for TTL, so that several scrapers cost one query.
type Store struct {
	Jobs    JobCounter
	Queue   QueueCounter  // nil: no queue gauge
	TTL     time.Duration // how long a read is served again (DefaultTTL when 0)
	Timeout time.Duration // the longest a read may take (DefaultTimeout when 0)

	mu     sync.Mutex
	at     time.Time
	cached []prometheus.Metric
}

// Defaults of Store.
const (
	DefaultTTL     = 5 * time.Second
	DefaultTimeout = 2 * time.Second
)

var (
	jobsDesc = prometheus.NewDesc(namespace+"_jobs", "Job records by type and stored status, all tenants (read from the database).",
		[]string{"type", "status"}, nil)
	queueDesc = prometheus.NewDesc(namespace+"_queue_jobs", "Entries of the job queue (River) by state: available ones wait for a worker (the queue depth), scheduled ones for their time (a retry, an import's next chunk).",
		[]string{"state"}, nil)
)

// QueueStates are the queue states the queue gauge shows.
var QueueStates = []string{"available", "scheduled", "retryable", "running"}

// Describe implements prometheus.Collector.
func (s *Store) Describe(ch chan<- *prometheus.Desc) {
	ch <- jobsDesc
	if s.Queue != nil {
		ch <- queueDesc
	}
}

// Collect implements prometheus.Collector: the cached read, or a new one.
func (s *Store) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ttl := s.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if s.cached == nil || time.Since(s.at) >= ttl {
		s.cached, s.at = s.read(), time.Now()
	}
	for _, m := range s.cached {
		ch <- m
	}
}

// read reads the gauges; a failed read is an invalid metric (the handler
// logs it and serves the rest), and is not kept.
func (s *Store) read() []prometheus.Metric {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	jobs, err := s.jobs(ctx)
	if err != nil {
		s.at = time.Time{}
		return []prometheus.Metric{prometheus.NewInvalidMetric(jobsDesc, err)}
	}
	if s.Queue == nil {
		return jobs
	}
	queue, err := s.queue(ctx)
	if err != nil {
		return []prometheus.Metric{prometheus.NewInvalidMetric(queueDesc, err)}
	}
	return append(jobs, queue...)
}

// jobs reads userport_jobs, with a zero for every combination without jobs.
func (s *Store) jobs(ctx context.Context) ([]prometheus.Metric, error) {
	counts, err := s.Jobs.JobCounts(ctx)
	if err != nil {
		return nil, err
	}
	n := map[userport.JobCount]int64{}
	for _, c := range counts {
		n[userport.JobCount{Type: c.Type, Status: c.Status}] += c.N
	}
	var out []prometheus.Metric
	for _, typ := range jobTypes {
		for _, st := range jobStatuses {
			v := n[userport.JobCount{Type: typ, Status: st}]
			out = append(out, prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(v), string(typ), string(st)))
		}
	}
	return out, nil
}

// queue reads userport_queue_jobs.
func (s *Store) queue(ctx context.Context) ([]prometheus.Metric, error) {
	counts, err := s.Queue.QueueCounts(ctx)
	if err != nil {
		return nil, err
	}
	var out []prometheus.Metric
	for _, st := range QueueStates {
		out = append(out, prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(counts[st]), st))
	}
	return out, nil
}
