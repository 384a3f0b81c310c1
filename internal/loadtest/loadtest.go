// Package loadtest puts a userport server under the load of many clients at
// once and reports what it served: requests, latencies and statuses by
// route, the large jobs' outcome, and the server's memory, threads and
// goroutines. A run is bounded (a duration, a cap on requests, a timeout on
// every request) and only ever talks to a loopback address.
//
// Starting a server and seeding it is the caller's part (`userport
// loadtest` does both); Run takes the server's URL and tokens.
package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/procstat"
)

// Scenario is the kind of load a run makes.
type Scenario string

// The scenarios.
const (
	// Mixed: a first export is made, polled and downloaded before the
	// clients start (at most the request timeout); then each client loops
	// over creating a user, creating an export, polling it and downloading
	// its file, while one large export of every user and one import run.
	Mixed Scenario = "mixed"
	// Writes: a few clients only create users while the large export and
	// the import run; the run ends when both are done and every client has
	// had one answer, or at its duration.
	Writes Scenario = "writes"
)

// Config is what a run does. Zero fields take the defaults Validate gives.
type Config struct {
	Scenario       Scenario
	Duration       time.Duration // how long the clients run at most (default 60 s)
	MaxRequests    int64         // the run stops after this many requests (default 2,000,000)
	Clients        int           // concurrent clients (default 200 for mixed, 4 for writes)
	ImportUsers    int           // users in the imported file (default 1,000,000)
	RequestTimeout time.Duration // of every request (default 60 s)
	Connection     string        // the database connection users go to (default Username-Password-Authentication)
	ExportLimit    int           // rows of each client's export (default 1000); the large export has every user
	PollInterval   time.Duration // how often the large export and the import are polled (default 500 ms)
	TempDir        string        // where the import file is written ("" for the system's)
	Log            io.Writer     // progress lines (nil: none)
}

// Defaults of Config.
const (
	DefaultDuration       = 60 * time.Second
	DefaultMaxRequests    = 2_000_000
	DefaultMixedClients   = 200
	DefaultWritesClients  = 4
	DefaultImportUsers    = 1_000_000
	DefaultRequestTimeout = 60 * time.Second
	DefaultExportLimit    = 1000
	DefaultPollInterval   = 500 * time.Millisecond
)

// Validate checks c and fills its defaults.
func (c *Config) Validate() error {
	switch c.Scenario {
	case "":
		c.Scenario = Mixed
	case Mixed, Writes:
	default:
		return fmt.Errorf("unknown scenario %q: want mixed or writes", c.Scenario)
	}
	if c.Duration < 0 || c.MaxRequests < 0 || c.Clients < 0 || c.ImportUsers < 0 || c.RequestTimeout < 0 ||
		c.ExportLimit < 0 || c.PollInterval < 0 {
		return errors.New("duration, request cap, clients, import users, request timeout, export limit and poll interval must not be negative")
	}
	if c.Clients == 0 {
		c.Clients = DefaultMixedClients
		if c.Scenario == Writes {
			c.Clients = DefaultWritesClients
		}
	}
	c.Duration = cmpOr(c.Duration, DefaultDuration)
	c.MaxRequests = cmpOr(c.MaxRequests, DefaultMaxRequests)
	c.ImportUsers = cmpOr(c.ImportUsers, DefaultImportUsers)
	c.RequestTimeout = cmpOr(c.RequestTimeout, DefaultRequestTimeout)
	c.ExportLimit = cmpOr(c.ExportLimit, DefaultExportLimit)
	c.PollInterval = cmpOr(c.PollInterval, DefaultPollInterval)
	if c.Connection == "" {
		c.Connection = userport.DefaultConnectionName
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return nil
}

// cmpOr is v, or def when v is zero.
func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Target is the server under load.
type Target struct {
	URL string // base URL; its host must be loopback
	// AdminToken holds every scope; the large export and the import use it.
	AdminToken string
	// ClientTokens are the simulated clients' tokens, each of another client
	// id (the rate limit is per client id); client i uses token i mod len.
	ClientTokens []string
	// Processes names the server's processes, to measure; nil: none.
	Processes func() []Process
	// Goroutines counts the goroutines of the process that serves the API
	// when it is this one (runtime.NumGoroutine); nil: not known.
	Goroutines func() int
	// GoroutinesOf says what Goroutines counts, for the report.
	GoroutinesOf string
}

// Process is a server process to measure.
type Process struct {
	Name string // "serve", "worker"
	PID  int
}

// CheckLoopback refuses a URL whose host is not a loopback address
// (127.0.0.0/8, ::1) or "localhost": the load test must never leave the machine.
func CheckLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("invalid URL %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("invalid URL %q: want http(s)://host[:port]", raw)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); strings.EqualFold(host, "localhost") || (ip != nil && ip.IsLoopback()) {
		return nil
	}
	return fmt.Errorf("refusing %q: the load test only targets loopback addresses (127.0.0.0/8, ::1, localhost)", raw)
}

// run is one load test run.
type run struct {
	cfg    Config
	t      Target
	base   string
	client *http.Client
	rec    *recorder
	conn   *userport.Connection
	tag    string // makes this run's e-mail addresses unique

	// ctx is done when the run ends: no request is sent after; those in
	// flight go on within the request timeout unless parent (Run's) is done.
	ctx, parent context.Context
	stop        context.CancelFunc
	requests    atomic.Int64
	capReached  atomic.Bool
	failedJobs  atomic.Int64
}

// Run runs the scenario of cfg against t until its duration is over, its
// request cap is reached or ctx is done, and reports what happened. An
// error means the run could not be made; what the server did wrong is in
// the report (Report.Errors).
func Run(ctx context.Context, cfg Config, t Target) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := CheckLoopback(t.URL); err != nil {
		return nil, err
	}
	if len(t.ClientTokens) == 0 || t.AdminToken == "" {
		return nil, errors.New("the target needs an admin token and at least one client token")
	}
	transport := &http.Transport{Proxy: nil, MaxIdleConns: cfg.Clients + 8, MaxIdleConnsPerHost: cfg.Clients + 8,
		DisableCompression: true, IdleConnTimeout: 30 * time.Second}
	defer transport.CloseIdleConnections()
	r := &run{cfg: cfg, t: t, base: strings.TrimRight(t.URL, "/"), client: &http.Client{Transport: transport},
		rec: newRecorder(), tag: userport.RandomString(8), parent: ctx}
	var err error
	if r.conn, err = r.findConnection(ctx); err != nil {
		return nil, err
	}
	file, err := r.writeImportFile()
	if err != nil {
		return nil, err
	}
	defer os.Remove(file)

	rep := &Report{Scenario: string(cfg.Scenario), URL: r.base, Clients: cfg.Clients, GoroutinesBefore: -1, GoroutinesAfter: -1}
	procs := r.processesBefore()
	transport.CloseIdleConnections() // the setup's connection is no part of "before"
	if t.Goroutines != nil {
		rep.GoroutinesBefore, rep.GoroutinesOf = settle(t.Goroutines), t.GoroutinesOf
	}
	if cfg.Scenario == Mixed {
		// However short the run and slow the machine, the download route
		// is driven at least once: no timed client may see an export end.
		rep.FirstExport = r.firstExport(ctx, t.ClientTokens[0])
	}
	fmt.Fprintf(cfg.Log, "running %s: %d clients for %v (at most %d requests)\n", cfg.Scenario, cfg.Clients, cfg.Duration, cfg.MaxRequests)

	r.ctx, r.stop = context.WithTimeout(ctx, cfg.Duration)
	defer r.stop()
	start := time.Now()
	var background sync.WaitGroup
	// The large export goes first, before the clients' exports fill the
	// tenant's pending exports.
	if id := r.createLargeExport(); id != "" {
		background.Go(func() { rep.LargeExport = r.followLargeExport(id, start) })
	} else {
		rep.LargeExport.Status = "not created"
	}
	background.Go(func() { rep.Import = r.importFile(file) })
	var clients, firsts sync.WaitGroup
	firsts.Add(cfg.Clients)
	for i := range cfg.Clients {
		clients.Go(func() { r.simulate(i, t.ClientTokens[i%len(t.ClientTokens)], firsts.Done) })
	}
	if cfg.Scenario == Writes {
		// Done when both background jobs are and every client has had
		// one answer: jobs that finish fast must not cut every write.
		go func() { background.Wait(); firsts.Wait(); r.stop() }()
	}
	clients.Wait()
	r.stop()
	background.Wait()
	rep.Seconds = time.Since(start).Seconds()

	transport.CloseIdleConnections()
	if t.Goroutines != nil {
		rep.GoroutinesAfter = settle(t.Goroutines)
	}
	rep.Processes = r.processesAfter(procs)
	rep.Routes = r.rec.report()
	rep.CapReached = r.capReached.Load()
	rep.FailedJobs = r.failedJobs.Load()
	rep.Errors = rep.FailedJobs
	for _, rr := range rep.Routes {
		rep.Requests += rr.Requests
		rep.Errors += rr.Errors + rr.Transport
	}
	for _, j := range []JobReport{rep.FirstExport, rep.LargeExport, rep.Import} {
		if j.Status == string(userport.JobFailed) {
			rep.Errors++
		}
	}
	return rep, nil
}

// writeImportFile writes the file the import uploads: users of a seed of
// their own, new to the store.
func (r *run) writeImportFile() (string, error) {
	f, err := os.CreateTemp(r.cfg.TempDir, "userport-loadtest-*.json.gz")
	if err != nil {
		return "", err
	}
	fmt.Fprintf(r.cfg.Log, "writing an import file of %d users\n", r.cfg.ImportUsers)
	// Seed 1 is what `userport seed` and bench write; 2 to 2^24-1 differ from it.
	err = WriteImportFile(f, r.cfg.ImportUsers, 2+rand.Int64N(1<<24-2), r.conn)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("write the import file: %w", err)
	}
	return f.Name(), nil
}

// findConnection finds the configured connection through the API (not
// counted: it is no part of the load).
func (r *run) findConnection(ctx context.Context) (*userport.Connection, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.base+"/api/v2/connections", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+r.t.AdminToken)
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("list connections: %w", err)
	}
	defer resp.Body.Close()
	var conns []struct{ ID, Name string }
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		return nil, fmt.Errorf("list connections: %d %s", resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&conns); err != nil {
		return nil, fmt.Errorf("list connections: %w", err)
	}
	for _, c := range conns {
		if c.Name == r.cfg.Connection {
			return &userport.Connection{ID: c.ID, Name: c.Name}, nil
		}
	}
	return nil, fmt.Errorf("the server has no connection %q", r.cfg.Connection)
}

// simulate is client i: it loops until the run ends, calling answered once
// its first request has its answer (or when it ends without one).
func (r *run) simulate(i int, token string, answered func()) {
	var once sync.Once
	defer once.Do(answered) // a client that never sent still counts as done
	var job string          // the client's export, while it runs
	for n := 0; r.ctx.Err() == nil; n++ {
		r.createUser(token, i, n)
		once.Do(answered)
		switch {
		case r.cfg.Scenario == Writes:
		case job == "":
			job = r.createExport(token, []string{"json", "csv"}[n%2], r.cfg.ExportLimit)
		default:
			j, ok := r.getJob(token, job)
			switch {
			case !ok:
			case j.Status == string(userport.JobCompleted):
				r.download(RouteDownload, j.Location)
				job = ""
			case j.Status == string(userport.JobFailed):
				r.failedJobs.Add(1)
				job = ""
			}
		}
	}
}

// createUser creates user n of client i.
func (r *run) createUser(token string, i, n int) {
	body := fmt.Sprintf(`{"connection":%q,"email":"lt-%s-%d-%d@example.com","password":"Load-test-9-%d"}`,
		r.conn.Name, r.tag, i, n, n)
	r.send(call{route: RouteCreateUser, method: http.MethodPost, path: "/api/v2/users", token: token,
		body: strings.NewReader(body), contentType: "application/json"})
}

// job is a job as GET /api/v2/jobs/{id} shows it.
type job struct {
	ID            string          `json:"id"`
	Status        string          `json:"status"`
	Location      string          `json:"location"`
	Summary       json.RawMessage `json:"summary"`
	StatusDetails string          `json:"status_details"`
}

// createExport creates an export of the connection's users, at most limit
// of them unless limit is 0, and returns its id, "" when it was not created
// (a 429 of the pending exports' bound, say).
func (r *run) createExport(token, format string, limit int) string {
	body := fmt.Sprintf(`{"format":%q,"connection_id":%q}`, format, r.conn.ID)
	if limit > 0 {
		body = fmt.Sprintf(`{"format":%q,"connection_id":%q,"limit":%d}`, format, r.conn.ID, limit)
	}
	var j job
	if a := r.send(call{route: RouteCreateExport, method: http.MethodPost, path: "/api/v2/jobs/users-exports",
		token: token, body: strings.NewReader(body), contentType: "application/json"}); !a.ok || json.Unmarshal(a.body, &j) != nil {
		return ""
	}
	return j.ID
}

// getJob polls a job.
func (r *run) getJob(token, id string) (job, bool) {
	var j job
	a := r.send(call{route: RouteGetJob, method: http.MethodGet, path: "/api/v2/jobs/" + url.PathEscape(id), token: token})
	return j, a.ok && json.Unmarshal(a.body, &j) == nil
}

// download reads a completed export's file whole and checks that it is gzip.
func (r *run) download(route, location string) answer {
	if err := CheckLoopback(location); err != nil {
		r.rec.record(route, Transport, 0, 0, nil, err)
		return answer{}
	}
	return r.send(call{route: route, method: http.MethodGet, url: location, gzipped: true})
}

// firstExport creates an export of the client of token, as the clients
// do, follows it until it ends and downloads its file, within the request
// timeout: the mixed scenario's step before the clock starts. Its requests
// count in the report's routes.
func (r *run) firstExport(ctx context.Context, token string) JobReport {
	r.ctx, r.stop = context.WithTimeout(ctx, r.cfg.RequestTimeout)
	defer r.stop()
	fmt.Fprintf(r.cfg.Log, "waiting for a first export of %d users\n", r.cfg.ExportLimit)
	start := time.Now()
	id := r.createExport(token, "json", r.cfg.ExportLimit)
	if id == "" {
		return JobReport{Status: "not created"}
	}
	return r.followExport(token, id, RouteDownload, start)
}

// createLargeExport creates the export of every user.
func (r *run) createLargeExport() string {
	fmt.Fprintf(r.cfg.Log, "creating the large export\n")
	return r.createExport(r.t.AdminToken, "json", 0)
}

// followLargeExport polls the large export until it completes (then
// downloads it) or fails, or the run ends.
func (r *run) followLargeExport(id string, start time.Time) JobReport {
	return r.followExport(r.t.AdminToken, id, RouteLargeExport, start)
}

// followExport polls export id with token until it completes (then
// downloads it, counted under route) or fails, or the run ends.
func (r *run) followExport(token, id, route string, start time.Time) JobReport {
	rep, j := r.follow(token, id, start)
	if j.Status == string(userport.JobCompleted) {
		if a := r.download(route, j.Location); a.ok {
			rep.Detail = fmt.Sprintf("%d users downloaded", a.lines)
		} else {
			rep.Detail = "the download did not succeed"
		}
	}
	return rep
}

// follow polls job id with token until it completes or fails, or the run
// ends.
func (r *run) follow(token, id string, start time.Time) (JobReport, job) {
	rep := JobReport{ID: id, Status: "unknown"}
	tick := time.NewTicker(r.cfg.PollInterval)
	defer tick.Stop()
	for {
		j, ok := r.getJob(token, id)
		if ok {
			rep.Status = j.Status
			switch j.Status {
			case string(userport.JobCompleted):
				rep.Seconds = time.Since(start).Seconds()
				return rep, j
			case string(userport.JobFailed):
				rep.Detail = j.StatusDetails
				return rep, j
			}
		}
		select {
		case <-r.ctx.Done():
			rep.Detail = "still " + rep.Status + " when the run ended"
			return rep, j
		case <-tick.C:
		}
	}
}

// importFile uploads the import file and follows the import.
func (r *run) importFile(path string) JobReport {
	start := time.Now()
	f, err := os.Open(path)
	if err != nil {
		return JobReport{Status: "not created", Detail: err.Error()}
	}
	defer f.Close()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := mw.WriteField("connection_id", r.conn.ID)
		if err == nil {
			var part io.Writer
			if part, err = mw.CreateFormFile("users", "users.json.gz"); err == nil {
				_, err = io.Copy(part, f)
			}
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	fmt.Fprintf(r.cfg.Log, "uploading the import\n")
	a := r.send(call{route: RouteImport, method: http.MethodPost, path: "/api/v2/jobs/users-imports", token: r.t.AdminToken,
		body: pr, contentType: mw.FormDataContentType()})
	pr.CloseWithError(errors.New("the upload ended")) // lets the writer goroutine end
	var j job
	if !a.ok || json.Unmarshal(a.body, &j) != nil {
		return JobReport{Status: "not created", Detail: fmt.Sprintf("status %d", a.status)}
	}
	rep, j := r.follow(r.t.AdminToken, j.ID, start)
	if len(j.Summary) > 0 {
		rep.Detail = string(j.Summary)
	}
	return rep
}

// call is one request.
type call struct {
	route, method string
	path          string // under the base URL; or
	url           string // a whole URL (a download's location)
	token         string // "" for none (signed download URLs)
	body          io.Reader
	contentType   string
	gzipped       bool // the answer is a gzip file: checked and counted, not kept
}

// answer is what came back.
type answer struct {
	ok     bool   // a 2xx whose body checked
	status int    // 0 when there was no answer
	body   []byte // unless gzipped
	lines  int64  // of a gzipped answer
}

// maxBody bounds the JSON answers read.
const maxBody = 1 << 20

// send sends c within the request cap and the request timeout, reads the
// answer whole and records it. Once the run has ended it sends nothing, but
// a request sent before goes on to its answer (within the request timeout):
// a short run on a slow machine still has its requests answered, only an
// interrupt (Run's ctx) cuts them.
func (r *run) send(c call) answer {
	if r.ctx.Err() != nil {
		return answer{}
	}
	if r.requests.Add(1) > r.cfg.MaxRequests {
		r.capReached.Store(true)
		r.stop()
		return answer{}
	}
	ctx, cancel := context.WithTimeout(r.parent, r.cfg.RequestTimeout)
	defer cancel()
	target := cmpOr(c.url, r.base+c.path)
	req, err := http.NewRequestWithContext(ctx, c.method, target, c.body)
	if err != nil {
		r.rec.record(c.route, Transport, 0, 0, nil, err)
		return answer{}
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.contentType != "" {
		req.Header.Set("Content-Type", c.contentType)
	}
	start := time.Now()
	var a answer
	resp, err := r.client.Do(req)
	if err == nil {
		a.status = resp.StatusCode
		success := resp.StatusCode >= 200 && resp.StatusCode < 300
		if c.gzipped && success {
			a.lines, err = readGzip(resp.Body)
		} else {
			a.body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody))
		}
		resp.Body.Close()
		a.ok = success && err == nil
	}
	d := time.Since(start)
	switch {
	case err == nil:
		r.rec.record(c.route, Answered, a.status, d, a.body, nil)
	case r.parent.Err() != nil:
		r.rec.record(c.route, Cut, a.status, d, nil, err)
	case errors.Is(err, errNotGzip):
		r.rec.record(c.route, BadBody, a.status, d, nil, err)
	default:
		r.rec.record(c.route, Transport, a.status, d, nil, err)
	}
	return a
}

// errNotGzip marks a download that is no valid gzip file.
var errNotGzip = errors.New("not a valid gzip file")

// readGzip reads a gzip file to its end, counting its lines; a file that
// is no gzip is an errNotGzip error, one cut short another.
func readGzip(r io.Reader) (lines int64, err error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return 0, gzipError(err)
	}
	buf := make([]byte, 256<<10)
	for {
		k, err := zr.Read(buf)
		lines += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if errors.Is(err, io.EOF) {
			return lines, nil
		}
		if err != nil {
			return lines, gzipError(err)
		}
	}
}

// gzipError marks the errors of a bad gzip stream with errNotGzip; the
// others (the connection's) stay as they are.
func gzipError(err error) error {
	var corrupt flate.CorruptInputError
	if errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) || errors.As(err, &corrupt) {
		return fmt.Errorf("%w: %w", errNotGzip, err)
	}
	return err
}

// settle counts goroutines until the count has not changed for a second
// (connections closing, requests ending), 5 s at most.
func settle(count func() int) int {
	last, since, deadline := count(), time.Now(), time.Now().Add(5*time.Second)
	for time.Since(since) < time.Second && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		if n := count(); n != last {
			last, since = n, time.Now()
		}
	}
	return last
}

// processesBefore resets the peak RSS of the server's processes and counts
// their threads.
func (r *run) processesBefore() []ProcessReport {
	if r.t.Processes == nil {
		return nil
	}
	var out []ProcessReport
	for _, p := range r.t.Processes() {
		if p.PID <= 0 {
			continue
		}
		_ = procstat.ResetPeakRSS(p.PID) // without it the peak covers the process's life
		out = append(out, ProcessReport{Name: p.Name, PID: p.PID, ThreadsBefore: procstat.Threads(p.PID)})
	}
	return out
}

// processesAfter reads the peak RSS and the threads of the processes.
func (r *run) processesAfter(before []ProcessReport) []ProcessReport {
	now := map[string]int{}
	if r.t.Processes != nil {
		for _, p := range r.t.Processes() {
			now[p.Name] = p.PID
		}
	}
	for i := range before {
		p := &before[i]
		if pid, ok := now[p.Name]; ok && pid != p.PID && pid > 0 {
			p.PID, p.Restarted = pid, true
		}
		p.PeakRSSBytes, p.ThreadsAfter = procstat.PeakRSS(p.PID), procstat.Threads(p.PID)
	}
	return before
}
