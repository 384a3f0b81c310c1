package userport_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
)

func TestUserSampleCuts(t *testing.T) {
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("u%02d", i+1)
		}
		return out
	}
	for _, tt := range []struct {
		ids    int
		weight float64
		n      int
		cuts   []string
		users  int64
	}{
		{10, 1, 4, []string{"u03", "u06", "u09"}, 10},
		{9, 1, 4, []string{"u03", "u06"}, 9},       // never at the last: no empty range
		{12, 1, 3, []string{"u04", "u08"}, 12},     // equal ranges
		{12, 100, 3, []string{"u04", "u08"}, 1200}, // the weight changes the estimate, not the cuts
		{3, 1, 4, []string{"u01", "u02"}, 3},
		{1, 1, 4, nil, 1},
		{0, 1, 4, nil, 0},
		{10, 1, 1, nil, 10},
		{10, 2.5, 0, nil, 25},
	} {
		s := userport.UserSample{IDs: ids(tt.ids), Weight: tt.weight}
		if got := s.Cuts(tt.n); !slices.Equal(got, tt.cuts) {
			t.Errorf("%d ids, Cuts(%d) = %q, want %q", tt.ids, tt.n, got, tt.cuts)
		}
		if got := s.Users(); got != tt.users {
			t.Errorf("%d ids of weight %g: Users() = %d, want %d", tt.ids, tt.weight, got, tt.users)
		}
	}
}

// Times of the job transition tests: the job was created at t0, started at
// t1, its runner's last heartbeat at t2; the transitions run at now.
var (
	t0  = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	t1  = t0.Add(time.Minute)
	t2  = t0.Add(2 * time.Minute)
	now = t0.Add(time.Hour)
)

// jobIn returns a job of type typ in status, with what that status implies:
// a processing export is run by runner "r1".
func jobIn(typ userport.JobType, status userport.JobStatus) *userport.Job {
	j := &userport.Job{Tenant: "a", ID: "job_1", Type: typ, Status: status, CreatedAt: t0}
	if status != userport.JobPending {
		j.StartedAt, j.PercentageDone, j.TimeLeftSeconds = t1, 40, 30
	}
	if status == userport.JobProcessing && typ == userport.JobUsersExport {
		j.Runner, j.HeartbeatAt = "r1", t2
	}
	if status == userport.JobCompleted || status == userport.JobFailed || status == userport.JobExpired {
		j.CompletedAt, j.PercentageDone, j.TimeLeftSeconds = t2, 100, 0
	}
	return j
}

// marked is a processing export of limit (0: none) whose runner recorded
// its watermark.
func marked(limit int) *userport.Job {
	j := jobIn(userport.JobUsersExport, userport.JobProcessing)
	j.Limit, j.Mark, j.MarkAt = limit, mark, t2
	return j
}

// transition is one Job transition under test.
type transition struct {
	name   string
	change func(j *userport.Job) error
}

var (
	exp, imp = userport.JobUsersExport, userport.JobUsersImport
	summary  = userport.ImportSummary{Failed: 1, Updated: 2, Inserted: 3, Total: 6}
	file     = userport.ExportFile{Key: "job_1/r1/a.csv.gz", Name: "a.csv.gz", Rows: 7, Bytes: 700,
		Tombstones: 2, SHA256: "ab12", FieldCounts: []int64{7, 3}}
	mark = userport.Watermark{Low: 40, High: 42}

	start          = transition{"Start", func(j *userport.Job) error { return j.Start(now, 1, 2) }}
	startAtLimit   = transition{"Start at the limit", func(j *userport.Job) error { return j.Start(now, 2, 2) }}
	claim          = transition{"Claim", func(j *userport.Job) error { return j.Claim("r2", now, time.Hour) }}
	claimStale     = transition{"Claim stale", func(j *userport.Job) error { return j.Claim("r2", now, time.Minute) }}
	progressR1     = transition{"Progress", func(j *userport.Job) error { return j.Progress("r1", now, 50, 20) }}
	progressAny    = transition{"Progress of any runner", func(j *userport.Job) error { return j.Progress("", now, 50, 20) }}
	progressR2     = transition{"Progress of another runner", func(j *userport.Job) error { return j.Progress("r2", now, 50, 20) }}
	completeExport = transition{"CompleteExport", func(j *userport.Job) error { return j.CompleteExport("r1", now, file) }}
	recordMark     = transition{"RecordMark", func(j *userport.Job) error { return j.RecordMark("r1", mark, now) }}
	recordMarkR2   = transition{"RecordMark of another runner", func(j *userport.Job) error { return j.RecordMark("r2", mark, now) }}
	completeLost   = transition{"CompleteExport of another runner", func(j *userport.Job) error { return j.CompleteExport("r2", now, file) }}
	completeImport = transition{"CompleteImport", func(j *userport.Job) error { return j.CompleteImport(now, summary) }}
	failR1         = transition{"Fail", func(j *userport.Job) error { return j.Fail("r1", now, "Disk full.", nil) }}
	failAny        = transition{"Fail by any runner", func(j *userport.Job) error { return j.Fail("", now, "Disk full.", &summary) }}
	failR2         = transition{"Fail of another runner", func(j *userport.Job) error { return j.Fail("r2", now, "Disk full.", nil) }}
	timeOut        = transition{"TimeOut", func(j *userport.Job) error { return j.TimeOut("", now, 8*time.Hour) }}
	timeOutR2      = transition{"TimeOut of another runner", func(j *userport.Job) error { return j.TimeOut("r2", now, time.Second) }}
	handBack       = transition{"HandBack", func(j *userport.Job) error { return j.HandBack("r1") }}
	handBackR2     = transition{"HandBack of another runner", func(j *userport.Job) error { return j.HandBack("r2") }}
	expire         = transition{"Expire", func(j *userport.Job) error { return j.Expire() }}
)

// TestJobTransitions runs every transition from the states it leaves: the
// job changes as want says.
func TestJobTransitions(t *testing.T) {
	for _, tt := range []struct {
		tr   transition
		from *userport.Job
		want func(j *userport.Job)
	}{
		{start, jobIn(exp, userport.JobPending), func(j *userport.Job) { j.Status, j.StartedAt = userport.JobProcessing, now }},
		{start, jobIn(imp, userport.JobPending), func(j *userport.Job) { j.Status, j.StartedAt = userport.JobProcessing, now }},
		{claimStale, jobIn(exp, userport.JobProcessing), func(j *userport.Job) { j.Runner, j.HeartbeatAt = "r2", now }},
		{claim, &userport.Job{Type: exp, Status: userport.JobProcessing, StartedAt: t1}, // not claimed yet
			func(j *userport.Job) { j.Runner, j.HeartbeatAt = "r2", now }},
		{progressR1, jobIn(exp, userport.JobProcessing), func(j *userport.Job) { j.PercentageDone, j.TimeLeftSeconds, j.HeartbeatAt = 50, 20, now }},
		{progressAny, jobIn(imp, userport.JobProcessing), func(j *userport.Job) { j.PercentageDone, j.TimeLeftSeconds, j.HeartbeatAt = 50, 20, now }},
		{completeExport, jobIn(exp, userport.JobProcessing), func(j *userport.Job) { // no mark: no cursor
			j.Status, j.CompletedAt, j.PercentageDone, j.TimeLeftSeconds = userport.JobCompleted, now, 100, 0
			j.FileKey, j.FileName, j.Rows, j.FileBytes = file.Key, file.Name, file.Rows, file.Bytes
			j.Tombstones, j.SHA256, j.FieldCounts = file.Tombstones, file.SHA256, file.FieldCounts
		}},
		{completeExport, marked(0), func(j *userport.Job) {
			j.Status, j.CompletedAt, j.PercentageDone, j.TimeLeftSeconds = userport.JobCompleted, now, 100, 0
			j.FileKey, j.FileName, j.Rows, j.FileBytes = file.Key, file.Name, file.Rows, file.Bytes
			j.Tombstones, j.SHA256, j.FieldCounts, j.HasMark = file.Tombstones, file.SHA256, file.FieldCounts, true
		}},
		{completeExport, marked(10), func(j *userport.Job) { // 9 rows and tombstones, under the limit
			j.Status, j.CompletedAt, j.PercentageDone, j.TimeLeftSeconds = userport.JobCompleted, now, 100, 0
			j.FileKey, j.FileName, j.Rows, j.FileBytes = file.Key, file.Name, file.Rows, file.Bytes
			j.Tombstones, j.SHA256, j.FieldCounts, j.HasMark = file.Tombstones, file.SHA256, file.FieldCounts, true
		}},
		{completeExport, marked(9), func(j *userport.Job) { // cut short by its limit: no cursor
			j.Status, j.CompletedAt, j.PercentageDone, j.TimeLeftSeconds = userport.JobCompleted, now, 100, 0
			j.FileKey, j.FileName, j.Rows, j.FileBytes = file.Key, file.Name, file.Rows, file.Bytes
			j.Tombstones, j.SHA256, j.FieldCounts = file.Tombstones, file.SHA256, file.FieldCounts
		}},
		{recordMark, jobIn(exp, userport.JobProcessing), func(j *userport.Job) { j.Mark, j.MarkAt = mark, now }},
		{completeImport, jobIn(imp, userport.JobProcessing), func(j *userport.Job) {
			j.Status, j.CompletedAt, j.PercentageDone, j.TimeLeftSeconds = userport.JobCompleted, now, 100, 0
			j.Summary = &summary
		}},
		{failR1, jobIn(exp, userport.JobProcessing), func(j *userport.Job) {
			j.Status, j.CompletedAt, j.StatusDetails = userport.JobFailed, now, "The export failed: Disk full."
		}},
		{failAny, jobIn(imp, userport.JobProcessing), func(j *userport.Job) {
			j.Status, j.CompletedAt, j.StatusDetails = userport.JobFailed, now, "The import failed: Disk full."
			j.Summary = &summary
		}},
		{failAny, jobIn(exp, userport.JobProcessing), func(j *userport.Job) { // the cleanup, whoever runs it
			j.Status, j.CompletedAt, j.StatusDetails, j.Summary = userport.JobFailed, now, "The export failed: Disk full.", &summary
		}},
		{timeOut, jobIn(exp, userport.JobProcessing), func(j *userport.Job) {
			j.Status, j.CompletedAt = userport.JobFailed, now
			j.StatusDetails = "The export job was stopped because it ran longer than 8 hours."
		}},
		{handBack, jobIn(exp, userport.JobProcessing), func(j *userport.Job) {
			j.Status, j.StartedAt, j.PercentageDone, j.TimeLeftSeconds = userport.JobPending, time.Time{}, 0, 0
			j.Runner, j.HeartbeatAt = "", time.Time{}
		}},
		{expire, jobIn(exp, userport.JobCompleted), func(j *userport.Job) { j.Status = userport.JobExpired }},
	} {
		t.Run(tt.tr.name+" "+string(tt.from.Type), func(t *testing.T) {
			want := *tt.from
			tt.want(&want)
			got := *tt.from
			if err := tt.tr.change(&got); err != nil {
				t.Fatalf("%s from %s: %v", tt.tr.name, tt.from.Status, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s from %s:\n got %+v\nwant %+v", tt.tr.name, tt.from.Status, got, want)
			}
		})
	}
}

// TestJobTransitionsRefused runs every transition from every state it may
// not leave: it answers its error and changes nothing.
func TestJobTransitionsRefused(t *testing.T) {
	all := []userport.JobStatus{userport.JobPending, userport.JobProcessing, userport.JobCompleted,
		userport.JobFailed, userport.JobExpired}
	except := func(s userport.JobStatus) []userport.JobStatus {
		return slices.DeleteFunc(slices.Clone(all), func(o userport.JobStatus) bool { return o == s })
	}
	for _, tt := range []struct {
		tr   transition
		typ  userport.JobType
		from []userport.JobStatus
		err  error
	}{
		{start, exp, except(userport.JobPending), userport.ErrJobNotPending},
		{startAtLimit, exp, []userport.JobStatus{userport.JobPending}, userport.ErrJobAtLimit},
		{claim, exp, except(userport.JobProcessing), userport.ErrJobNotProcessing},
		{claim, exp, []userport.JobStatus{userport.JobProcessing}, userport.ErrJobClaimed}, // r1 is alive
		{progressR1, exp, except(userport.JobProcessing), userport.ErrJobNotProcessing},
		{progressR2, exp, []userport.JobStatus{userport.JobProcessing}, userport.ErrJobNotProcessing},
		{completeExport, exp, except(userport.JobProcessing), userport.ErrJobNotProcessing},
		{completeLost, exp, []userport.JobStatus{userport.JobProcessing}, userport.ErrJobNotProcessing},
		{recordMark, exp, except(userport.JobProcessing), userport.ErrJobNotProcessing},
		{recordMarkR2, exp, []userport.JobStatus{userport.JobProcessing}, userport.ErrJobNotProcessing},
		{completeImport, imp, except(userport.JobProcessing), userport.ErrJobNotProcessing},
		{failR1, exp, except(userport.JobProcessing), userport.ErrJobNotProcessing},
		{failAny, imp, except(userport.JobProcessing), userport.ErrJobNotProcessing},
		{failR2, exp, []userport.JobStatus{userport.JobProcessing}, userport.ErrJobNotProcessing},
		{timeOut, exp, except(userport.JobProcessing), userport.ErrJobNotProcessing},
		{timeOutR2, exp, []userport.JobStatus{userport.JobProcessing}, userport.ErrJobNotProcessing},
		{handBack, exp, except(userport.JobProcessing), userport.ErrJobNotProcessing},
		{handBackR2, exp, []userport.JobStatus{userport.JobProcessing}, userport.ErrJobNotProcessing},
		{expire, exp, except(userport.JobCompleted), userport.ErrJobNotCompleted},
		{expire, imp, all, userport.ErrJobNotCompleted}, // an import has no file to expire
	} {
		for _, from := range tt.from {
			t.Run(tt.tr.name+" "+string(tt.typ)+" "+string(from), func(t *testing.T) {
				j := jobIn(tt.typ, from)
				before := *j
				if err := tt.tr.change(j); !errors.Is(err, tt.err) {
					t.Errorf("%s of a %s %s: %v, want %v", tt.tr.name, from, tt.typ, err, tt.err)
				}
				if !reflect.DeepEqual(*j, before) {
					t.Errorf("%s of a %s %s changed it:\n got %+v\nwant %+v", tt.tr.name, from, tt.typ, *j, before)
				}
			})
		}
	}
}

// TestJobStatusActive checks that Active and ActiveJobStatuses agree.
func TestJobStatusActive(t *testing.T) {
	for _, s := range []userport.JobStatus{userport.JobPending, userport.JobProcessing, userport.JobCompleted,
		userport.JobFailed, userport.JobExpired} {
		if got, want := s.Active(), slices.Contains(userport.ActiveJobStatuses, s); got != want {
			t.Errorf("%s.Active() = %v, ActiveJobStatuses holds it: %v", s, got, want)
		}
	}
}

// TestNewJob checks that a new job is pending, with an id, created at the
// millisecond.
func TestNewJob(t *testing.T) {
	j := userport.NewJob("a", imp, now.Add(1500*time.Microsecond))
	want := userport.Job{Tenant: "a", ID: j.ID, Type: imp, Status: userport.JobPending, CreatedAt: now.Add(time.Millisecond)}
	if !reflect.DeepEqual(*j, want) || !strings.HasPrefix(j.ID, "job_") {
		t.Errorf("NewJob = %+v, want %+v with an id", *j, want)
	}
}

// memJobs is a userport.JobStore of one job in memory: FindJob, StartJob
// (with ahead jobs before it) and UpdateJobThen only (then's tx is "tx").
type memJobs struct {
	userport.JobStore
	job    userport.Job
	ahead  int
	starts int // calls of StartJob
}

func (m *memJobs) FindJob(context.Context, string, string) (*userport.Job, error) {
	j := m.job
	return &j, nil
}

func (m *memJobs) StartJob(_ context.Context, _, _ string, limit int, now time.Time) (*userport.Job, error) {
	m.starts++
	j := m.job
	if err := j.Start(now, m.ahead, limit); err == nil {
		m.job = j
	}
	return m.FindJob(context.Background(), "", "")
}

func (m *memJobs) UpdateJobThen(ctx context.Context, _, _ string, fn func(j *userport.Job) error,
	then func(ctx context.Context, tx userport.Tx, j *userport.Job) error) (*userport.Job, error) {
	j := m.job
	if err := fn(&j); err != nil {
		return nil, err
	}
	if then != nil {
		if err := then(ctx, "tx", &j); err != nil {
			return nil, err // nothing written
		}
	}
	m.job = j
	return m.FindJob(context.Background(), "", "")
}

// TestJobTransitionsEnqueue checks that Change calls Enqueue inside the
// change's transaction with the status the job left and the job as changed,
// and that an Enqueue that fails leaves the job as it was, unobserved: a
// job never ends without its events queued.
func TestJobTransitionsEnqueue(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := &memJobs{job: *jobIn(exp, userport.JobProcessing)}
	var seen []string
	observed := 0
	fail := errors.New("queue is down")
	tr := userport.JobTransitions{Store: m,
		Observe: func(context.Context, userport.JobStatus, *userport.Job) { observed++ },
		Enqueue: func(_ context.Context, tx userport.Tx, before userport.JobStatus, after *userport.Job) error {
			seen = append(seen, fmt.Sprintf("%v: %s -> %s", tx, before, after.Status))
			if len(seen) == 1 {
				return fail
			}
			return nil
		}}
	_, err := tr.Change(t.Context(), "a", "job_1", func(j *userport.Job) error { return j.Fail("", now, "x", nil) })
	if !errors.Is(err, fail) || m.job.Status != userport.JobProcessing || observed != 0 {
		t.Fatalf("a failed enqueue: %v, job %s, observed %d; want its error, the job processing, unobserved", err, m.job.Status, observed)
	}
	if _, err := tr.Change(t.Context(), "a", "job_1", func(j *userport.Job) error { return j.Fail("", now, "x", nil) }); err != nil {
		t.Fatal(err)
	}
	if want := []string{"tx: processing -> failed", "tx: processing -> failed"}; !slices.Equal(seen, want) || m.job.Status != userport.JobFailed || observed != 1 {
		t.Errorf("enqueued %q, job %s, observed %d; want %q, failed, 1", seen, m.job.Status, observed, want)
	}
}

// TestJobEvent checks which changes make which event.
func TestJobEvent(t *testing.T) {
	for _, tt := range []struct {
		before, after userport.JobStatus
		want          userport.EventType
	}{
		{userport.JobProcessing, userport.JobCompleted, userport.EventJobCompleted},
		{userport.JobProcessing, userport.JobFailed, userport.EventJobFailed},
		{userport.JobPending, userport.JobFailed, userport.EventJobFailed},
		{userport.JobCompleted, userport.JobExpired, userport.EventJobExpired},
		{userport.JobPending, userport.JobProcessing, ""},
		{userport.JobProcessing, userport.JobPending, ""},
		{userport.JobProcessing, userport.JobProcessing, ""},
		{userport.JobCompleted, userport.JobCompleted, ""},
	} {
		got, ok := userport.JobEvent(tt.before, &userport.Job{Status: tt.after})
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("JobEvent(%s -> %s) = %q, %v; want %q", tt.before, tt.after, got, ok, tt.want)
		}
	}
	if a, b := userport.EventID("t", "job_1", userport.EventJobCompleted), userport.EventID("t", "job_1", userport.EventJobExpired); a == b ||
		a != userport.EventID("t", "job_1", userport.EventJobCompleted) || len(a) != len("msg_")+26 {
		t.Errorf("EventID: %q, %q: want one id per event, msg_ + 26", a, b)
	}
}

// TestJobTransitionsSeam checks that the seam tells the observer of each
// change that took effect, with the status the job left, and of no other.
func TestJobTransitionsSeam(t *testing.T) {
	for _, tt := range []struct {
		name   string
		from   userport.JobStatus
		ahead  int
		run    func(ctx context.Context, tr userport.JobTransitions) error
		seen   string // "" for nothing
		starts int
	}{
		{"start", userport.JobPending, 0, func(ctx context.Context, tr userport.JobTransitions) error {
			_, err := tr.Start(ctx, "a", "job_1", 1, now)
			return err
		}, "pending -> processing", 1},
		{"start at the limit", userport.JobPending, 1, func(ctx context.Context, tr userport.JobTransitions) error {
			_, err := tr.Start(ctx, "a", "job_1", 1, now)
			return err
		}, "", 1},
		{"start of a running job", userport.JobProcessing, 0, func(ctx context.Context, tr userport.JobTransitions) error {
			_, err := tr.Start(ctx, "a", "job_1", 1, now)
			return err
		}, "", 0},
		{"change", userport.JobProcessing, 0, func(ctx context.Context, tr userport.JobTransitions) error {
			_, err := tr.Change(ctx, "a", "job_1", func(j *userport.Job) error { return j.Fail("", now, "x", nil) })
			return err
		}, "processing -> failed", 0},
		{"refused change", userport.JobCompleted, 0, func(ctx context.Context, tr userport.JobTransitions) error {
			_, err := tr.Change(ctx, "a", "job_1", func(j *userport.Job) error { return j.Fail("", now, "x", nil) })
			if !errors.Is(err, userport.ErrJobNotProcessing) {
				return fmt.Errorf("refused change: %v, want %v", err, userport.ErrJobNotProcessing)
			}
			return nil
		}, "", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := &memJobs{job: *jobIn(imp, tt.from), ahead: tt.ahead}
			var seen []string
			tr := userport.JobTransitions{Store: m, Observe: func(_ context.Context, before userport.JobStatus, after *userport.Job) {
				seen = append(seen, fmt.Sprintf("%s -> %s", before, after.Status))
			}}
			if err := tt.run(t.Context(), tr); err != nil {
				t.Fatal(err)
			}
			if want := slices.DeleteFunc([]string{tt.seen}, func(s string) bool { return s == "" }); !slices.Equal(seen, want) {
				t.Errorf("observed %q, want %q", seen, want)
			}
			if m.starts != tt.starts {
				t.Errorf("%d calls of StartJob, want %d", m.starts, tt.starts)
			}
		})
	}
}

// TestCheckNewJob checks the limit of new jobs: active jobs at the limit
// refuse one, with the error of the job's type; 0 is no limit.
func TestCheckNewJob(t *testing.T) {
	for _, tt := range []struct {
		typ           userport.JobType
		active, limit int
		err           error
	}{
		{exp, 1, 2, nil},
		{exp, 2, 2, userport.TooManyJobs(exp, 2)},
		{imp, 3, 2, userport.TooManyJobs(imp, 2)},
		{imp, 5, 0, nil},
	} {
		err := userport.CheckNewJob(tt.typ, tt.active, tt.limit)
		if fmt.Sprint(err) != fmt.Sprint(tt.err) || userport.ErrorCode(err) != userport.ErrorCode(tt.err) {
			t.Errorf("CheckNewJob(%s, %d, %d) = %v, want %v", tt.typ, tt.active, tt.limit, err, tt.err)
		}
	}
}

// TestStartRefused checks which errors leave a job to start as it is.
func TestStartRefused(t *testing.T) {
	for err, want := range map[error]bool{
		userport.ErrJobNotPending:                         true,
		fmt.Errorf("start: %w", userport.ErrJobAtLimit):   true,
		userport.ErrJobNotProcessing:                      false,
		userport.Errorf(userport.ENOTFOUND, "x", "gone."): false,
	} {
		if got := userport.StartRefused(err); got != want {
			t.Errorf("StartRefused(%v) = %v, want %v", err, got, want)
		}
	}
}
