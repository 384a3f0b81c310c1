package loadtest

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/userport/userport/internal/bench"
)

// Routes the load test sends requests to: the names its report uses.
const (
	RouteCreateUser   = "POST /api/v2/users"
	RouteCreateExport = "POST /api/v2/jobs/users-exports"
	RouteGetJob       = "GET /api/v2/jobs/{id}"
	RouteDownload     = "GET {location}"
	RouteImport       = "POST /api/v2/jobs/users-imports"
	RouteLargeExport  = "GET {location} of the large export"
)

// Outcome is what became of one request.
type Outcome int

// The outcomes a request may have besides its status.
const (
	Answered  Outcome = iota // an HTTP status came back (and a body that checks, if it is read)
	Transport                // no answer: connection refused, reset, timed out
	BadBody                  // a 2xx whose body is not what it should be (a download that is no gzip)
	Cut                      // an interrupt (Run's context) ended it in flight: not counted as an error
)

// recorder counts the requests of a run by route; safe for concurrent use.
type recorder struct {
	mu     sync.Mutex
	routes map[string]*routeStats
}

// routeStats are the counts and latencies of one route.
type routeStats struct {
	latencies   []time.Duration // of every answered request, whatever its status
	statuses    map[int]int64
	rateLimited int64 // 429 of the per-client rate limit
	bounded     int64 // 429 of a concurrency bound (pending exports, active imports)
	transport   int64
	badBody     int64
	cut         int64
	sample      string // the first error, to say what went wrong
}

func newRecorder() *recorder { return &recorder{routes: map[string]*routeStats{}} }

// record counts one request of route that took d; status and body only
// matter when it was answered.
func (r *recorder) record(route string, o Outcome, status int, d time.Duration, body []byte, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.routes[route]
	if s == nil {
		s = &routeStats{statuses: map[int]int64{}}
		r.routes[route] = s
	}
	if s.sample == "" {
		switch {
		case o == Transport || o == BadBody:
			s.sample = fmt.Sprint(err)
		case o == Answered && status != 429 && (status < 200 || status >= 300):
			s.sample = fmt.Sprintf("%d %.200s", status, body)
		}
	}
	switch o {
	case Transport:
		s.transport++
		return
	case Cut:
		s.cut++
		return
	case BadBody:
		s.badBody++
	}
	s.latencies = append(s.latencies, d)
	s.statuses[status]++
	if status == 429 {
		if strings.Contains(string(body), "Global limit has been reached") {
			s.rateLimited++
		} else {
			s.bounded++
		}
	}
}

// RouteReport is what one route saw.
type RouteReport struct {
	Route    string `json:"route"`
	Requests int64  `json:"requests"` // answered, plus transport errors
	// OK counts the 2xx answers (downloads: whose body checked).
	OK int64 `json:"ok"`
	// RateLimited counts the 429s of the per-client rate limit, Bounded
	// those of a per-tenant concurrency bound (pending exports, imports).
	RateLimited int64 `json:"rate_limited_429"`
	Bounded     int64 `json:"bounded_429"`
	// Errors counts the answers other than 2xx and 429, plus BadBody.
	Errors    int64            `json:"errors"`
	Transport int64            `json:"transport_errors"`
	BadBody   int64            `json:"bad_bodies"`
	Cut       int64            `json:"cut_at_end"` // in flight when an interrupt ended the run; not in Requests
	Statuses  map[string]int64 `json:"statuses"`
	P50Ms     float64          `json:"p50_ms"`
	P99Ms     float64          `json:"p99_ms"`
	MaxMs     float64          `json:"max_ms"`
	// FirstError is the first error's message, or status and body.
	FirstError string `json:"first_error,omitempty"`
}

// report sums up the routes, sorted by name.
func (r *recorder) report() []RouteReport {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []RouteReport
	for _, name := range slices.Sorted(maps.Keys(r.routes)) {
		s := r.routes[name]
		rr := RouteReport{Route: name, RateLimited: s.rateLimited, Bounded: s.bounded, Transport: s.transport,
			BadBody: s.badBody, Cut: s.cut, Statuses: map[string]int64{}, FirstError: s.sample}
		rr.Requests = int64(len(s.latencies)) + s.transport
		for status, n := range s.statuses {
			rr.Statuses[strconv.Itoa(status)] = n
			switch {
			case status >= 200 && status < 300:
				rr.OK += n
			case status != 429:
				rr.Errors += n
			}
		}
		rr.OK -= s.badBody
		rr.Errors += s.badBody
		lat := slices.Clone(s.latencies)
		slices.Sort(lat)
		rr.P50Ms, rr.P99Ms = bench.Ms(bench.Percentile(lat, 50)), bench.Ms(bench.Percentile(lat, 99))
		if len(lat) > 0 {
			rr.MaxMs = bench.Ms(lat[len(lat)-1])
		}
		out = append(out, rr)
	}
	return out
}

// JobReport is what became of the large export or of the import.
type JobReport struct {
	ID      string  `json:"id,omitempty"`
	Status  string  `json:"status"`            // the last status seen; "not created" when the POST failed
	Seconds float64 `json:"seconds,omitempty"` // from the POST to the poll that saw it completed
	Detail  string  `json:"detail,omitempty"`  // the import's summary, the export's file size, or why it failed
}

// ProcessReport is what one server process used during the run.
type ProcessReport struct {
	Name          string `json:"name"`
	PID           int    `json:"pid"`
	PeakRSSBytes  int64  `json:"peak_rss_bytes"` // VmHWM, reset when the run started
	ThreadsBefore int    `json:"threads_before"`
	ThreadsAfter  int    `json:"threads_after"`
	// Restarted: the process of this name had another pid at the end (a
	// worker that died and was started again); the figures after are the
	// new process's.
	Restarted bool `json:"restarted,omitempty"`
}

// Report is the result of a run.
type Report struct {
	Scenario string  `json:"scenario"`
	URL      string  `json:"url"`
	Clients  int     `json:"clients"`
	Seconds  float64 `json:"seconds"`
	Requests int64   `json:"requests"`
	// Errors counts everything other than 2xx and 429: error statuses, bad
	// bodies, transport errors and failed jobs. A run with errors fails.
	Errors     int64         `json:"errors"`
	FailedJobs int64         `json:"failed_jobs"` // exports of the clients that failed
	CapReached bool          `json:"cap_reached"` // the run stopped at --max-requests
	Routes     []RouteReport `json:"routes"`
	// FirstExport is the mixed scenario's export made and downloaded
	// before the clients start; its requests count in Routes.
	FirstExport JobReport       `json:"first_export,omitzero"`
	LargeExport JobReport       `json:"large_export"`
	Import      JobReport       `json:"import"`
	Processes   []ProcessReport `json:"processes"`
	// Goroutines of the process that serves the API, before the clients
	// started and after they stopped (after the counts settled); -1 when
	// the server runs elsewhere.
	GoroutinesBefore int    `json:"goroutines_before"`
	GoroutinesAfter  int    `json:"goroutines_after"`
	GoroutinesOf     string `json:"goroutines_of,omitempty"` // what the count includes
}

// Route returns the report of route, and whether it had requests.
func (r *Report) Route(route string) (RouteReport, bool) {
	for _, rr := range r.Routes {
		if rr.Route == route {
			return rr, true
		}
	}
	return RouteReport{}, false
}

// WriteJSON writes r as one JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteText writes r as a table.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "scenario %s against %s: %d clients, %.1f s, %d requests (%.0f/s), %d errors other than 429",
		r.Scenario, r.URL, r.Clients, r.Seconds, r.Requests, float64(r.Requests)/max(r.Seconds, 1e-9), r.Errors)
	if r.CapReached {
		b.WriteString(" (stopped at the request cap)")
	}
	b.WriteString("\n\n")
	fmt.Fprintf(&b, "%-37s %8s %8s %9s %9s %7s %9s %9s %9s %9s  %s\n",
		"route", "requests", "ok", "429 rate", "429 bound", "errors", "transport", "p50 ms", "p99 ms", "max ms", "statuses")
	for _, rr := range r.Routes {
		fmt.Fprintf(&b, "%-37s %8d %8d %9d %9d %7d %9d %9.1f %9.1f %9.1f  %s\n",
			rr.Route, rr.Requests, rr.OK, rr.RateLimited, rr.Bounded, rr.Errors, rr.Transport, rr.P50Ms, rr.P99Ms, rr.MaxMs, statuses(rr))
	}
	b.WriteString("\n")
	for _, j := range []struct {
		name string
		r    JobReport
	}{{"first export", r.FirstExport}, {"large export", r.LargeExport}, {"import", r.Import}} {
		if j.r == (JobReport{}) {
			continue // no first export in the writes scenario
		}
		fmt.Fprintf(&b, "%-13s %s %s", j.name, j.r.ID, j.r.Status)
		if j.r.Seconds > 0 {
			fmt.Fprintf(&b, " in %.1f s", j.r.Seconds)
		}
		if j.r.Detail != "" {
			fmt.Fprintf(&b, " (%s)", j.r.Detail)
		}
		b.WriteString("\n")
	}
	if r.FailedJobs > 0 {
		fmt.Fprintf(&b, "failed client exports: %d\n", r.FailedJobs)
	}
	for _, rr := range r.Routes {
		if rr.FirstError != "" {
			fmt.Fprintf(&b, "first error of %s: %s\n", rr.Route, rr.FirstError)
		}
	}
	for _, p := range r.Processes {
		fmt.Fprintf(&b, "process %-6s pid %-7d peak RSS %.1f MB, threads %d before, %d after",
			p.Name, p.PID, float64(p.PeakRSSBytes)/1e6, p.ThreadsBefore, p.ThreadsAfter)
		if p.Restarted {
			b.WriteString(" (RESTARTED during the run)")
		}
		b.WriteString("\n")
	}
	if r.GoroutinesBefore >= 0 {
		fmt.Fprintf(&b, "goroutines %d before, %d after (%s)\n", r.GoroutinesBefore, r.GoroutinesAfter, r.GoroutinesOf)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// statuses lists a route's statuses and cut requests, e.g. "201:950 429:12 cut:3".
func statuses(rr RouteReport) string {
	var parts []string
	for _, s := range slices.Sorted(maps.Keys(rr.Statuses)) {
		parts = append(parts, fmt.Sprintf("%s:%d", s, rr.Statuses[s]))
	}
	if rr.BadBody > 0 {
		parts = append(parts, fmt.Sprintf("bad-body:%d", rr.BadBody))
	}
	if rr.Cut > 0 {
		parts = append(parts, fmt.Sprintf("cut:%d", rr.Cut))
	}
	return strings.Join(parts, " ")
}
