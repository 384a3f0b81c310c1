package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/userport/userport"
)

// concurrencyTests are the subtests of the guarantees that workers running
// side by side rely on: the per-tenant limit of StartJob, runner tokens
// written through UpdateJob, and the import cursor.
var concurrencyTests = []struct {
	name string
	fn   func(t *testing.T, s userport.Store)
}{
	{"StartJobLimit", testStartJobLimit},
	{"StartJobLimitConcurrent", testStartJobLimitConcurrent},
	{"RunnerToken", testRunnerToken},
	{"RunnerTokenConcurrentClaims", testRunnerTokenConcurrentClaims},
	{"ImportCursorCommitted", testImportCursorCommitted},
	{"ImportCursorConcurrent", testImportCursorConcurrent},
}

// startJob starts a job, failing t on error.
func startJob(t *testing.T, s userport.Store, tenant, id string, limit int, now time.Time) *userport.Job {
	t.Helper()
	j, err := s.StartJob(t.Context(), tenant, id, limit, now)
	if err != nil {
		t.Fatalf("StartJob(%q, %q): %v", tenant, id, err)
	}
	return j
}

func testStartJobLimit(t *testing.T, s userport.Store) {
	exp, imp := userport.JobUsersExport, userport.JobUsersImport
	createJobs(t, s,
		newJob("a", 1, exp, userport.JobPending, baseTime),
		newJob("a", 2, exp, userport.JobPending, baseTime),
		newJob("a", 3, exp, userport.JobPending, baseTime),
		newJob("a", 4, imp, userport.JobPending, baseTime),
		newJob("b", 5, exp, userport.JobPending, baseTime),
	)
	t1, t2 := baseTime.Add(time.Minute), baseTime.Add(2*time.Minute)
	tests := []struct {
		name    string
		tenant  string
		n       int
		now     time.Time
		status  userport.JobStatus
		started time.Time
	}{
		{"first of the tenant", "a", 1, t1, userport.JobProcessing, t1},
		{"second, at the limit", "a", 2, t1, userport.JobProcessing, t1},
		{"third, over the limit", "a", 3, t1, userport.JobPending, time.Time{}},
		{"another type", "a", 4, t1, userport.JobProcessing, t1},
		{"another tenant", "b", 5, t1, userport.JobProcessing, t1},
		{"not pending: unchanged", "a", 1, t2, userport.JobProcessing, t1},
	}
	for _, tt := range tests {
		j := startJob(t, s, tt.tenant, jobID(tt.n), 2, tt.now)
		if j.Status != tt.status {
			t.Errorf("%s: Status = %s, want %s", tt.name, j.Status, tt.status)
		}
		checkTime(t, tt.name+": StartedAt", j.StartedAt, tt.started)
		checkJob(t, findJob(t, s, tt.tenant, jobID(tt.n)), j)
	}
	_, err := s.StartJob(t.Context(), "a", jobID(9), 2, t1)
	wantError(t, err, userport.ENOTFOUND, "inexistent_job", jobNotFoundMessage)

	// Once one of them ends, the pending one starts.
	completeExport(t, s, "a", jobID(1), t2)
	field(t, "Status after one ended", startJob(t, s, "a", jobID(3), 2, t2).Status, userport.JobProcessing)
}

// testStartJobLimitConcurrent starts more jobs than the limit at once: the
// check and the change must be one atomic step.
func testStartJobLimitConcurrent(t *testing.T, s userport.Store) {
	const tenants, jobs, limit = 5, 8, 3
	for n := range tenants * jobs {
		createJobs(t, s, newJob(fmt.Sprint("t", n%tenants), n, userport.JobUsersExport, userport.JobPending, baseTime))
	}
	var wg sync.WaitGroup
	errs := make(chan error, tenants*jobs)
	for n := range tenants * jobs {
		wg.Go(func() {
			_, err := s.StartJob(t.Context(), fmt.Sprint("t", n%tenants), jobID(n), limit, baseTime)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("StartJob: %v", err)
		}
	}
	for i := range tenants {
		n, err := s.CountJobs(t.Context(), userport.JobFilter{Tenant: fmt.Sprint("t", i), Statuses: []userport.JobStatus{userport.JobProcessing}})
		if err != nil {
			t.Fatalf("CountJobs: %v", err)
		}
		field(t, "processing jobs of a tenant", n, limit)
	}
}

// errRefused is what a runner's fn returns when the job is not its own.
var errRefused = errors.New("refused")

// staleAfter is how old a heartbeat is when another runner may take over.
const staleAfter = time.Minute

// claim makes token the runner of a processing job whose runner, if any, has
// a heartbeat older than staleAfter at now: the check that UpdateJob runs
// atomically for the export workers.
// A claim that passed its check waits for window before it writes, so that
// claims running at once overlap when the store lets them.
func claim(s userport.Store, t *testing.T, id, token string, now time.Time, window time.Duration) (*userport.Job, error) {
	return s.UpdateJob(t.Context(), "a", id, func(j *userport.Job) error {
		if j.Status != userport.JobProcessing || j.Runner != "" && now.Sub(j.HeartbeatAt) < staleAfter {
			return errRefused
		}
		time.Sleep(window)
		j.Runner, j.HeartbeatAt = token, now
		return nil
	})
}

// heartbeat refreshes token's heartbeat and progress, unless the job is no
// longer token's.
func heartbeat(s userport.Store, t *testing.T, id, token string, now time.Time, pct int) (*userport.Job, error) {
	return s.UpdateJob(t.Context(), "a", id, func(j *userport.Job) error {
		if j.Status != userport.JobProcessing || j.Runner != token {
			return errRefused
		}
		j.HeartbeatAt, j.PercentageDone = now, pct
		return nil
	})
}

func testRunnerToken(t *testing.T, s userport.Store) {
	j := newJob("a", 1, userport.JobUsersExport, userport.JobProcessing, baseTime)
	j.StartedAt = baseTime
	createJobs(t, s, j)
	at := func(d time.Duration) time.Time { return baseTime.Add(d) }
	steps := []struct {
		name       string
		heartbeat  bool // a heartbeat, else a claim
		token      string
		now        time.Time
		refused    bool
		wantRunner string
		wantBeat   time.Time
		wantPct    int
	}{
		{"claim", false, "A", at(time.Second), false, "A", at(time.Second), 0},
		{"refresh", true, "A", at(30 * time.Second), false, "A", at(30 * time.Second), 10},
		{"claim while fresh", false, "B", at(80 * time.Second), true, "A", at(30 * time.Second), 10},
		{"heartbeat of a foreign token", true, "B", at(80 * time.Second), true, "A", at(30 * time.Second), 10},
		{"take over once stale", false, "B", at(91 * time.Second), false, "B", at(91 * time.Second), 10},
		{"heartbeat of the old runner", true, "A", at(92 * time.Second), true, "B", at(91 * time.Second), 10},
		{"heartbeat of the new runner", true, "B", at(100 * time.Second), false, "B", at(100 * time.Second), 20},
	}
	for _, st := range steps {
		var err error
		if st.heartbeat {
			_, err = heartbeat(s, t, j.ID, st.token, st.now, st.wantPct)
		} else {
			_, err = claim(s, t, j.ID, st.token, st.now, 0)
		}
		if st.refused != errors.Is(err, errRefused) || err != nil && !errors.Is(err, errRefused) {
			t.Fatalf("%s: error %v, want refused=%v", st.name, err, st.refused)
		}
		got := findJob(t, s, "a", j.ID)
		field(t, st.name+": Runner", got.Runner, st.wantRunner)
		checkTime(t, st.name+": HeartbeatAt", got.HeartbeatAt, st.wantBeat)
		field(t, st.name+": PercentageDone", got.PercentageDone, st.wantPct)
	}
}

// testRunnerTokenConcurrentClaims claims a job from several runners at
// once: UpdateJob's read, check and write are one step, so one claim wins.
// It does so for a few jobs in turn: the later rounds find the connections
// of a pooled store open, and their claims overlap.
func testRunnerTokenConcurrentClaims(t *testing.T, s userport.Store) {
	const rounds, runners = 3, 6
	for n := range rounds {
		j := newJob("a", n, userport.JobUsersExport, userport.JobProcessing, baseTime)
		createJobs(t, s, j)
		won := make(chan string, runners)
		var wg sync.WaitGroup
		for r := range runners {
			token := string(rune('A' + r))
			wg.Go(func() {
				_, err := claim(s, t, j.ID, token, baseTime, 30*time.Millisecond)
				if err == nil {
					won <- token
				} else if !errors.Is(err, errRefused) {
					t.Errorf("claim %s: %v", token, err)
				}
			})
		}
		wg.Wait()
		close(won)
		var winners []string
		for token := range won {
			winners = append(winners, token)
		}
		if len(winners) != 1 {
			t.Fatalf("job %d: claims that won = %q, want exactly one", n, winners)
		}
		field(t, "Runner", findJob(t, s, "a", j.ID).Runner, winners[0])
	}
}

// testImportCursorCommitted checks that a batch moves the cursor only from
// the committed position: a batch that starts before it or after it is
// refused and writes nothing.
func testImportCursorCommitted(t *testing.T, s userport.Store) {
	j := newImportJob("a", 1)
	createImport(t, s, j, 1000)
	writeBatch(t, s, batch(j, 0, 2, importUser(1, 0)))
	for _, from := range []int64{0, 1, 3, 5} {
		_, err := s.WriteImportBatch(t.Context(), batch(j, from, from+1, importUser(10+int(from), from)))
		wantError(t, err, userport.ECONFLICT, "", "")
	}
	st := importState(t, s, "a", j.ID)
	wantSummary(t, st, 2, userport.ImportSummary{Inserted: 1})
	field(t, "BytesRead", st.BytesRead, int64(200))
	field(t, "users", countUsers(t, s, "a", importConn), int64(1))
	wantSummary(t, writeBatch(t, s, batch(j, 2, 3, importUser(2, 2))), 3, userport.ImportSummary{Inserted: 2})
}

// testImportCursorConcurrent writes the same batch from several workers at
// once: one moves the cursor, the others get ECONFLICT and write nothing.
func testImportCursorConcurrent(t *testing.T, s userport.Store) {
	j := newImportJob("a", 1)
	createImport(t, s, j, 1000)
	const workers = 4
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			// Each worker's user differs, so a second writer would show.
			_, err := s.WriteImportBatch(t.Context(), batch(j, 0, 1, importUser(1+w, 0)))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		if err == nil {
			ok++
		} else if userport.ErrorCode(err) != userport.ECONFLICT {
			t.Errorf("WriteImportBatch: %v, want ECONFLICT or success", err)
		}
	}
	field(t, "batches written", ok, 1)
	wantSummary(t, importState(t, s, "a", j.ID), 1, userport.ImportSummary{Inserted: 1})
	field(t, "users", countUsers(t, s, "a", importConn), int64(1))
}
