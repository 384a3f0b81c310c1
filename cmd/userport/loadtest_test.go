package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/userport/userport/internal/loadtest"
)

// TestLoadtestCommand runs `userport loadtest` at a tiny size, each
// scenario, against its own server (--jobs inline: the test binary is no
// `userport worker`), so that the tool keeps working: every route the
// scenario drives has requests, and none had an error other than 429.
//
// It asserts only what the tool guarantees however loaded the machine:
// mixed downloads its first export before the clock starts and every
// request sent before its 3 s end gets its answer, but its large export
// and import may still run then; writes ends when both are done, so its
// long --duration is a bound, not its length.
func TestLoadtestCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server under load for seconds")
	}
	tests := []struct {
		scenario string
		duration string
		routes   []string // with successful requests
		jobsEnd  bool     // the large export and the import complete within the run
	}{
		{"mixed", "3s", []string{loadtest.RouteCreateUser, loadtest.RouteCreateExport, loadtest.RouteGetJob,
			loadtest.RouteDownload, loadtest.RouteImport}, false},
		{"writes", "5m", []string{loadtest.RouteCreateUser, loadtest.RouteGetJob, loadtest.RouteImport, loadtest.RouteLargeExport}, true},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			var out bytes.Buffer
			args := []string{"loadtest", "--scenario", tt.scenario, "--users", "200", "--duration", tt.duration, "--clients", "8",
				"--import-users", "100", "--jobs", "inline", "--json"}
			if err := run(context.Background(), args, &out, io.Discard); err != nil {
				t.Fatalf("loadtest: %v\n%s", err, out.String())
			}
			var rep loadtest.Report
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatalf("report %q: %v", out.String(), err)
			}
			if rep.Errors != 0 {
				t.Errorf("%d errors other than 429: %s", rep.Errors, out.String())
			}
			for _, route := range tt.routes {
				if rr, ok := rep.Route(route); !ok || rr.OK == 0 {
					t.Errorf("route %s: no successful requests (%+v)", route, rr)
				}
			}
			if tt.scenario == "mixed" && (rep.FirstExport.Status != "completed" || rep.FirstExport.Detail != "200 users downloaded") {
				t.Errorf("first export = %+v, want completed and its 200 users downloaded", rep.FirstExport)
			}
			imported := rep.Import.Status == "completed"
			if (tt.jobsEnd || imported) && (!imported || !strings.Contains(rep.Import.Detail, `"inserted":100`)) {
				t.Errorf("import = %+v, want completed with 100 users inserted", rep.Import)
			}
			exported := rep.LargeExport.Status == "completed"
			// (its download may be cut by the end of a mixed run)
			if rr, _ := rep.Route(loadtest.RouteLargeExport); (tt.jobsEnd || exported) && (!exported || rr.OK+rr.Cut != 1) {
				t.Errorf("large export = %+v, downloads %+v: want completed and downloaded", rep.LargeExport, rr)
			}
			if len(rep.Processes) != 1 || rep.Processes[0].PeakRSSBytes <= 0 || rep.GoroutinesBefore <= 0 {
				t.Errorf("processes %+v, goroutines %d: want serve's peak RSS and goroutines measured", rep.Processes, rep.GoroutinesBefore)
			}
		})
	}
	// Only loopback targets.
	err := run(context.Background(), []string{"loadtest", "--url", "http://192.0.2.1:8080", "--data-dir", t.TempDir()}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("loadtest --url http://192.0.2.1:8080 = %v, want a refusal naming loopback", err)
	}
}
