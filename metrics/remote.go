package metrics

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// JobFamilies are the prefixes of the metric families a job worker counts
// (NewJobs): what Remote takes from a worker.
var JobFamilies = []string{namespace + "_job_", namespace + "_export_", namespace + "_import_"}

// Remote gathers the job metric families (JobFamilies) of another process
// from its /metrics: serve with --jobs process shows, on its own /metrics,
// what its child worker counts. A worker that does not answer (it is
// restarting) is an error the handler logs; the rest is served.
type Remote struct {
	URL     string        // http://127.0.0.1:PORT/metrics
	Timeout time.Duration // DefaultTimeout when 0
	Client  *http.Client  // http.DefaultClient when nil
}

// Gather implements prometheus.Gatherer.
func (r *Remote) Gather() ([]*dto.MetricFamily, error) {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	client := r.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("the job worker's metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the job worker's metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	all, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("the job worker's metrics: %w", err)
	}
	return jobFamilies(all), nil
}

// jobFamilies keeps the families named by JobFamilies, sorted by name.
func jobFamilies(all map[string]*dto.MetricFamily) []*dto.MetricFamily {
	var out []*dto.MetricFamily
	for name, mf := range all {
		for _, p := range JobFamilies {
			if strings.HasPrefix(name, p) {
				out = append(out, mf)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetName() < out[j].GetName() })
	return out
}
