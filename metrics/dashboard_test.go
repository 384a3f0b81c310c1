package metrics_test

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/userport/userport"
	"github.com/userport/userport/metrics"
)

// TestDashboardMetricsExist checks docs/grafana-dashboard.json: valid JSON,
// and every metric its panels query is one that serve's process registers
// (its runtime and process collectors, the API's, the jobs' and the store's
// families; moved from cmd/userport).
func TestDashboardMetricsExist(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("the dashboard is not valid JSON: %v", err)
	}
	p := metrics.NewProcess(true, slog.New(slog.DiscardHandler)) // as serve builds it
	p.Jobs()
	none := counts{
		jobs:  func() ([]userport.JobCount, error) { return nil, nil },
		queue: func() (map[string]int64, error) { return nil, nil },
	}
	p.Registry.MustRegister(&metrics.Store{Jobs: none, Queue: none})
	p.HTTP.Started()
	p.HTTP.Finished("GET /metrics", 200, time.Millisecond) // a request is in the HTTP histograms
	gathered, err := p.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	fams := map[string]*dto.MetricFamily{}
	for _, f := range gathered {
		fams[f.GetName()] = f
	}
	name := regexp.MustCompile(`\b(?:userport|go|process)_[a-z0-9_]+`)
	exposed := func(n string) bool {
		if fams[n] != nil {
			return true
		}
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if f := fams[strings.TrimSuffix(n, suffix)]; strings.HasSuffix(n, suffix) && f != nil &&
				(f.GetType() == dto.MetricType_HISTOGRAM || f.GetType() == dto.MetricType_SUMMARY) {
				return true
			}
		}
		return false
	}
	queried := 0
	for _, panel := range dash.Panels {
		if len(panel.Targets) == 0 {
			t.Errorf("panel %q queries nothing", panel.Title)
		}
		for _, tg := range panel.Targets {
			for _, n := range name.FindAllString(tg.Expr, -1) {
				queried++
				if !exposed(n) {
					t.Errorf("panel %q queries %s, which /metrics does not expose", panel.Title, n)
				}
			}
		}
	}
	if queried < 10 {
		t.Errorf("the dashboard queries %d metrics: the expressions were not read", queried)
	}
}
