// Package bench is the harness of `userport bench`: it runs exports through
// a running service's HTTP API (as a client script does) and compares each
// with the limit measured in the same run, scanning the stored documents
// plus gzipping the output. Seeding the store and starting the service are
// the command's wiring.
package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/procstat"
)

// CSVFields are the five fields the CSV benchmark exports.
var CSVFields = []userport.Field{{Name: "user_id"}, {Name: "email"}, {Name: "name"},
	{Name: "identities[0].connection"}, {Name: "user_metadata.consent.given"}}

// Store is what the harness reads directly: the documents, for the scan
// limit, and the finished job.
type Store interface {
	ReadUsers(ctx context.Context, s userport.UserScan, p *userport.UserPage) error
	FindJob(ctx context.Context, tenant, id string) (*userport.Job, error)
}

// Target is the running service a benchmark measures.
type Target struct {
	// URL is the service's base URL; Token a bearer token with read:users.
	URL, Token string
	// Tenant is the service's tenant.
	Tenant string
	// Store and Blobs are the service's database and export files.
	Store Store
	Blobs userport.BlobStore
	// PID returns the process that runs the exports (its peak RSS and CPU
	// time are measured).
	PID func() int
	// TempDir receives the decompressed export the gzip limit is timed on.
	TempDir string
	// Client sends the API requests (http.DefaultClient when nil).
	Client *http.Client
}

// Polling intervals of the two runs of each format: the timed run polls
// GET /api/v2/jobs/{id} as a client script does; the latency run polls at
// 100 requests per second, for enough samples of its percentiles.
const (
	PollTimed   = time.Second
	PollLatency = 10 * time.Millisecond
)

// Formats parses the --format of `userport bench`: csv, json, parquet,
// both (csv and json) or all.
func Formats(s string) ([]userport.Format, error) {
	switch s {
	case "both":
		return []userport.Format{userport.FormatCSV, userport.FormatJSON}, nil
	case "all":
		return []userport.Format{userport.FormatCSV, userport.FormatJSON, userport.FormatParquet}, nil
	}
	if f := userport.Format(s); f.Valid() {
		return []userport.Format{f}, nil
	}
	return nil, fmt.Errorf("--format: want csv, json, parquet, both or all, not %q", s)
}

// Export runs one export of every user in format through the API and
// measures its limit, then runs it again to measure GET /api/v2/jobs/{id}
// while it runs.
func Export(ctx context.Context, t *Target, format userport.Format) (*Result, error) {
	body := map[string]any{"format": format}
	if format == userport.FormatCSV {
		body["fields"] = CSVFields
	}
	debug.FreeOSMemory() // what seeding left behind is not the export's
	pid := t.PID()
	_ = procstat.ResetPeakRSS(pid)
	cpu := procstat.CPU(pid)
	job, _, err := t.runJob(ctx, body, PollTimed)
	if err != nil {
		return nil, err
	}
	r := &Result{Users: job.Rows, Format: string(format), OutputBytes: job.FileBytes, PeakRSSBytes: procstat.PeakRSS(pid)}
	r.CPUSeconds = (procstat.CPU(pid) - cpu).Seconds()
	r.Seconds = job.CompletedAt.Sub(job.StartedAt).Seconds()
	if r.ScanUsers, r.ScanSeconds, err = Scan(ctx, t.Store, t.Tenant); err != nil {
		return nil, err
	}
	if err := t.limit(ctx, r, job); err != nil {
		return nil, err
	}
	r.derive()
	job, latencies, err := t.runJob(ctx, body, PollLatency)
	if err != nil {
		return nil, err
	}
	r.PolledSeconds = job.CompletedAt.Sub(job.StartedAt).Seconds()
	slices.Sort(latencies)
	r.GetJobP50Ms, r.GetJobP99Ms, r.GetJobCalls = Ms(Percentile(latencies, 50)), Ms(Percentile(latencies, 99)), len(latencies)
	return r, nil
}

// limit measures the second half of the limit of an export in format: gzip
// of its output (CSV, NDJSON); a Parquet file, which is not gzip'd, has no
// such half, and is compared instead with the gzip'd NDJSON export of the
// same fields (NDJSONGzBytes).
func (t *Target) limit(ctx context.Context, r *Result, job *userport.Job) (err error) {
	if job.Format.Gzipped() {
		r.RawBytes, r.CompressSeconds, err = Compress(ctx, t.Blobs, job.FileKey, t.TempDir)
		return err
	}
	ndjson, _, err := t.runJob(ctx, map[string]any{"format": userport.FormatJSON, "fields": job.Fields}, PollTimed)
	if err != nil {
		return fmt.Errorf("the NDJSON export of the same fields: %w", err)
	}
	r.NDJSONGzBytes = ndjson.FileBytes
	return nil
}

// Percentile returns the p-th percentile (0-100) of sorted.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p/100))]
}

// Ms converts d to milliseconds.
func Ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// StartCPUProfile writes a CPU profile of this process to path until stop
// is called.
func StartCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// Run measures one export per format (Export) and then, when paging > 0,
// paging that many users (Paging), writing each result to w as it comes:
// a line of text, or a JSON object when asJSON.
func Run(ctx context.Context, t *Target, formats []userport.Format, paging int, asJSON bool, w io.Writer) error {
	for _, f := range formats {
		r, err := Export(ctx, t, f)
		if err != nil {
			return fmt.Errorf("%s export: %w", f, err)
		}
		r.Write(w, asJSON)
	}
	if paging <= 0 {
		return nil
	}
	n, secs, err := Paging(ctx, t, paging)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "paging users=%d seconds=%.2f users/s=%.0f (GET /api/v2/users?per_page=100)\n", n, secs, float64(n)/secs)
	return err
}
