package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"time"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/userport/userport"
	"github.com/userport/userport/export"
	"github.com/userport/userport/internal/procstat"
	"github.com/userport/userport/seed"
)

// benchCSVFields are the five fields the CSV benchmark exports.
var benchCSVFields = []userport.Field{{Name: "user_id"}, {Name: "email"}, {Name: "name"},
	{Name: "identities[0].connection"}, {Name: "user_metadata.consent.given"}}

// benchResult is one format's measurement.
type benchResult struct {
	Users           int64   `json:"users"`
	Format          string  `json:"format"`
	Seconds         float64 `json:"seconds"`
	UsersPerSec     float64 `json:"users_per_sec"`
	OutputBytes     int64   `json:"output_bytes"`
	RawBytes        int64   `json:"raw_bytes"`
	MBPerSec        float64 `json:"mb_per_sec"`
	CompressionRate float64 `json:"compression_ratio"`
	PeakRSSBytes    int64   `json:"peak_rss_bytes"`
	CPUSeconds      float64 `json:"cpu_seconds"` // user+system CPU of the exporting process during the timed run
	ScanSeconds     float64 `json:"scan_seconds"`
	CompressSeconds float64 `json:"compress_seconds"`
	RatioToLimit    float64 `json:"ratio_to_limit"`
	PolledSeconds   float64 `json:"polled_seconds"` // the latency run's export
	GetJobCalls     int     `json:"get_job_calls"`
	GetJobP50Ms     float64 `json:"get_job_p50_ms"`
	GetJobP99Ms     float64 `json:"get_job_p99_ms"`
}

// ms converts d to milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// runBench implements `userport bench`: seed a store, run exports through the
// real job path (HTTP API, River, blob store), and compare each with the limit
// measured in the same run: scanning the documents plus gzipping the output.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	cfg.serverFlags(fs)
	cfg.jobsFlag(fs)
	users := fs.Int("users", 100000, "users to seed into a fresh store (0: use the data dir's users as they are)")
	format := fs.String("format", "both", "csv, json or both")
	asJSON := fs.Bool("json", false, "print one JSON object per format")
	keep := fs.Bool("keep", false, "keep the temporary data dir")
	paging := fs.Int("paging-users", 0, "also time paging this many users through GET /api/v2/users?per_page=100")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the exports to this file (with --jobs inline)")
	if err := parseFlags(fs, args, stderr, &cfg); err != nil {
		return err
	}
	formats, err := benchFormats(*format)
	if err != nil {
		return err
	}
	cleanup, err := tempDataDir(fs, &cfg, "userport-bench-", *keep)
	if err != nil {
		return err
	}
	defer cleanup()
	cfg.Addr, cfg.PublicURL, cfg.LogLevel = "127.0.0.1:0", "", "warn"
	if *users > 0 {
		if err := benchSeed(ctx, &cfg, *users, stderr); err != nil {
			return err
		}
	}
	if *cpuProfile != "" {
		if cfg.Jobs != JobsInline {
			return errors.New("--cpuprofile profiles this process: add --jobs inline, so that the exports run in it")
		}
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	return benchExports(ctx, &cfg, formats, *paging, *asJSON, stdout, stderr)
}

// tempDataDir points cfg at a new temporary data dir unless --data-dir was
// given; cleanup removes it, unless keep.
func tempDataDir(fs *flag.FlagSet, cfg *Config, prefix string, keep bool) (cleanup func(), err error) {
	if flagSet(fs, "data-dir") {
		return func() {}, nil
	}
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, err
	}
	cfg.DataDir = dir
	if keep {
		return func() {}, nil
	}
	return func() { os.RemoveAll(dir) }, nil
}

// flagSet reports whether flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// startCPUProfile writes a CPU profile to path until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
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

// benchFormats parses --format.
func benchFormats(s string) ([]userport.Format, error) {
	switch s {
	case "csv":
		return []userport.Format{userport.FormatCSV}, nil
	case "json":
		return []userport.Format{userport.FormatJSON}, nil
	case "both":
		return []userport.Format{userport.FormatCSV, userport.FormatJSON}, nil
	}
	return nil, fmt.Errorf("--format: want csv, json or both, not %q", s)
}

// benchSeed writes n users with the seed command's generator.
func benchSeed(ctx context.Context, cfg *Config, n int, stderr io.Writer) error {
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	conn, err := userport.EnsureTenant(ctx, store, cfg.Tenant, userport.SystemClock{})
	if err != nil {
		return err
	}
	start := time.Now()
	if err := seedUsers(ctx, store, seed.New(1, cfg.Tenant, conn, seedStart), n, newBar(stderr, n, "seeding users")); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "seeded %d users in %.1fs\n", n, time.Since(start).Seconds())
	return nil
}

// benchExports starts the service and measures one export per format.
func benchExports(ctx context.Context, cfg *Config, formats []userport.Format, paging int, asJSON bool, stdout, stderr io.Writer) error {
	m, err := openBenchServer(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer m.Close()
	token, _, err := m.issuer.Issue("bench", []string{"read:users"})
	if err != nil {
		return err
	}
	for _, f := range formats {
		r, err := benchOne(ctx, m, token, f)
		if err != nil {
			return fmt.Errorf("%s export: %w", f, err)
		}
		printBench(stdout, r, asJSON)
	}
	if paging > 0 {
		n, secs, err := benchPaging(ctx, m, token, paging)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "paging users=%d seconds=%.2f users/s=%.0f (GET /api/v2/users?per_page=100)\n", n, secs, float64(n)/secs)
	}
	return nil
}

// openBenchServer starts the service of cfg, for bench and loadtest, with an
// admin client of its own (so that none is written to the data dir).
func openBenchServer(ctx context.Context, cfg *Config, stderr io.Writer) (*Main, error) {
	cfg.AdminClientID, cfg.AdminClientSecret = "bench", "bench-secret-"+userport.RandomString(16)
	m := &Main{Config: *cfg, Clock: userport.SystemClock{}, Logger: newLogger(stderr, cfg), Stderr: stderr}
	if err := m.Open(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

// Polling intervals of the two runs of each format: the timed run polls
// GET /api/v2/jobs/{id} as a client script does; the latency run polls at
// 100 requests per second, for enough samples of its percentiles.
const (
	benchPollTimed   = time.Second
	benchPollLatency = 10 * time.Millisecond
)

// benchOne runs one export through the API and measures its limit, then runs
// it again to measure GET /api/v2/jobs/{id} while it runs.
func benchOne(ctx context.Context, m *Main, token string, format userport.Format) (*benchResult, error) {
	body := map[string]any{"format": format}
	if format == userport.FormatCSV {
		body["fields"] = benchCSVFields
	}
	debug.FreeOSMemory() // what seeding left behind is not the export's
	pid := os.Getpid()   // the process that runs the exports
	if m.worker != nil {
		pid = m.worker.Pid()
	}
	_ = procstat.ResetPeakRSS(pid)
	cpu := procstat.CPU(pid)
	job, _, err := benchRunJob(ctx, m, token, body, benchPollTimed)
	if err != nil {
		return nil, err
	}
	r := &benchResult{Users: job.Rows, Format: string(format), OutputBytes: job.FileBytes, PeakRSSBytes: procstat.PeakRSS(pid)}
	r.CPUSeconds = (procstat.CPU(pid) - cpu).Seconds()
	r.Seconds = job.CompletedAt.Sub(job.StartedAt).Seconds()
	if r.ScanSeconds, err = benchScan(ctx, m); err != nil {
		return nil, err
	}
	if r.RawBytes, r.CompressSeconds, err = benchCompress(ctx, m, job.FileKey); err != nil {
		return nil, err
	}
	r.UsersPerSec = float64(r.Users) / r.Seconds
	r.MBPerSec = float64(r.OutputBytes) / 1e6 / r.Seconds
	r.CompressionRate = float64(r.RawBytes) / max(float64(r.OutputBytes), 1)
	r.RatioToLimit = r.Seconds / (r.ScanSeconds + r.CompressSeconds)

	job, latencies, err := benchRunJob(ctx, m, token, body, benchPollLatency)
	if err != nil {
		return nil, err
	}
	r.PolledSeconds = job.CompletedAt.Sub(job.StartedAt).Seconds()
	r.GetJobP50Ms, r.GetJobP99Ms, r.GetJobCalls = ms(percentile(latencies, 50)), ms(percentile(latencies, 99)), len(latencies)
	return r, nil
}

// benchRunJob creates the export over HTTP and polls GET /api/v2/jobs/{id}
// every interval until it completes, recording how long each GET took.
func benchRunJob(ctx context.Context, m *Main, token string, body map[string]any, interval time.Duration) (*userport.Job, []time.Duration, error) {
	var created struct{ ID string }
	if status, err := benchCall(ctx, m, token, http.MethodPost, "/api/v2/jobs/users-exports", body, &created); err != nil || status != http.StatusOK {
		return nil, nil, fmt.Errorf("create export: status %d (%v)", status, err)
	}
	var latencies []time.Duration
	for {
		var got struct{ Status, StatusDetails string }
		start := time.Now()
		status, err := benchCall(ctx, m, token, http.MethodGet, "/api/v2/jobs/"+created.ID, nil, &got)
		latencies = append(latencies, time.Since(start))
		switch {
		case err != nil || status != http.StatusOK:
			return nil, nil, fmt.Errorf("get job: status %d (%v)", status, err)
		case got.Status == string(userport.JobCompleted):
			job, err := m.store.FindJob(ctx, m.Config.Tenant, created.ID)
			return job, latencies, err
		case got.Status == string(userport.JobFailed):
			return nil, nil, errors.New(got.StatusDetails)
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(interval):
		}
	}
}

// benchCall sends one API request and decodes the JSON answer into out.
func benchCall(ctx context.Context, m *Main, token, method, path string, body, out any) (int, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, m.URL()+path, r)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, json.NewDecoder(resp.Body).Decode(out)
}

// benchPaging times reading the first n users through GET /api/v2/users at
// per_page=100, the way scripts page without an export.
func benchPaging(ctx context.Context, m *Main, token string, n int) (int, float64, error) {
	start, got := time.Now(), 0
	for page := 0; got < n; page++ {
		var users []json.RawMessage
		status, err := benchCall(ctx, m, token, http.MethodGet, fmt.Sprintf("/api/v2/users?per_page=100&page=%d", page), nil, &users)
		if err != nil || status != http.StatusOK {
			return got, 0, fmt.Errorf("list users: status %d (%v)", status, err)
		}
		got += len(users)
		if len(users) < 100 {
			break
		}
	}
	return got, time.Since(start).Seconds(), nil
}

// percentile returns the p-th percentile (0-100) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p/100))]
}

// benchScan times reading every stored document in the export's order, with
// no processing: the first half of the limit.
func benchScan(ctx context.Context, m *Main) (float64, error) {
	start := time.Now()
	s := userport.UserScan{Tenant: m.Config.Tenant, Limit: export.DefaultPageSize}
	var p userport.UserPage
	for {
		if err := m.store.ReadUsers(ctx, s, &p); err != nil {
			return 0, err
		}
		if p.Len() < s.Limit {
			return time.Since(start).Seconds(), nil
		}
		s.After = p.Last
	}
}

// benchCompress decompresses the export into a temporary file, then times
// gzipping it at the pipeline's level: the second half of the limit.
func benchCompress(ctx context.Context, m *Main, key string) (raw int64, secs float64, err error) {
	f, err := m.blobs.Open(ctx, key)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return 0, 0, err
	}
	tmp, err := os.CreateTemp(m.Config.DataDir, "bench-raw-")
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if raw, err = io.Copy(tmp, zr); err != nil {
		return 0, 0, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return 0, 0, err
	}
	start := time.Now()
	zw, _ := kgzip.NewWriterLevel(io.Discard, export.DefaultGzipLevel)
	if _, err := io.Copy(zw, bufio.NewReaderSize(tmp, 1<<20)); err != nil {
		return 0, 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, 0, err
	}
	return raw, time.Since(start).Seconds(), nil
}

// printBench prints one result as text or JSON.
func printBench(w io.Writer, r *benchResult, asJSON bool) {
	if asJSON {
		b, _ := json.Marshal(r)
		fmt.Fprintln(w, string(b))
		return
	}
	fmt.Fprintf(w, "%-4s users=%d seconds=%.2f users/s=%.0f MB/s=%.1f output=%d ratio=%.2f peak_rss=%.1fMB cpu=%.2fs scan=%.2fs compress=%.2fs ratio_to_limit=%.2f; polled every 10ms: seconds=%.2f get_job_p50=%.1fms p99=%.1fms (%d calls)\n",
		r.Format, r.Users, r.Seconds, r.UsersPerSec, r.MBPerSec, r.OutputBytes, r.CompressionRate,
		float64(r.PeakRSSBytes)/1e6, r.CPUSeconds, r.ScanSeconds, r.CompressSeconds, r.RatioToLimit, r.PolledSeconds, r.GetJobP50Ms, r.GetJobP99Ms, r.GetJobCalls)
}
