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

// Remote gathers the metrics of another process from its /metrics: serve
// with --jobs process shows, on its own /metrics, what its child worker
// counts. The job families (JobFamilies) are taken as they are (serve counts
// no jobs of its own); the others (the worker's Go runtime and process) get
// the label Process=<name>, beside serve's own series. A worker that does not
// answer (it is restarting) is an error the handler logs; the rest is served.
type Remote struct {
	URL     string        // http://127.0.0.1:PORT/metrics
	Process string        // the process label of the worker's other families ("worker")
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
	var out []*dto.MetricFamily
	for _, mf := range all {
		if !isJobFamily(mf.GetName()) {
			labelFamily(mf, "process", r.Process)
		}
		out = append(out, mf)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetName() < out[j].GetName() })
	return out, nil
}

// isJobFamily reports whether name is one of JobFamilies.
func isJobFamily(name string) bool {
	for _, p := range JobFamilies {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// labelFamily adds the label name=value to every series of mf.
func labelFamily(mf *dto.MetricFamily, name, value string) {
	for _, m := range mf.GetMetric() {
		m.Label = append(m.Label, &dto.LabelPair{Name: &name, Value: &value})
		sort.Slice(m.Label, func(i, j int) bool { return m.Label[i].GetName() < m.Label[j].GetName() })
	}
}
