package storetest

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

const jobNotFoundMessage = "The job does not exist."

// noEnqueue is an enqueue function that queues nothing.
func noEnqueue(context.Context, userport.Tx) error { return nil }

// jobID is the n-th job id; ids sort in n order.
func jobID(n int) string { return fmt.Sprintf("job_%016d", n) }

// newJob returns job n of tenant with the given type, status and creation time.
func newJob(tenant string, n int, typ userport.JobType, status userport.JobStatus, created time.Time) *userport.Job {
	return &userport.Job{Tenant: tenant, ID: jobID(n), Type: typ, Status: status, CreatedAt: created}
}

// createJobs creates jobs, failing t on error.
func createJobs(t *testing.T, s userport.Store, jobs ...*userport.Job) {
	t.Helper()
	for _, j := range jobs {
		if err := s.CreateJob(t.Context(), j, 0, noEnqueue); err != nil {
			t.Fatalf("CreateJob(%s): %v", j.ID, err)
		}
	}
}

// findJob finds a job, failing t on error.
func findJob(t *testing.T, s userport.Store, tenant, id string) *userport.Job {
	t.Helper()
	j, err := s.FindJob(t.Context(), tenant, id)
	if err != nil {
		t.Fatalf("FindJob(%q, %q): %v", tenant, id, err)
	}
	return j
}

// checkJob fails t unless got holds what want held when stored. An empty
// Fields list may come back as nil.
func checkJob(t *testing.T, got, want *userport.Job) {
	t.Helper()
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "StartedAt", got.StartedAt, want.StartedAt)
	checkTime(t, "CompletedAt", got.CompletedAt, want.CompletedAt)
	checkTime(t, "HeartbeatAt", got.HeartbeatAt, want.HeartbeatAt)
	checkTime(t, "MarkAt", got.MarkAt, want.MarkAt)
	if !slices.Equal(got.Fields, want.Fields) {
		t.Errorf("Fields = %+v, want %+v", got.Fields, want.Fields)
	}
	if (got.Summary == nil) != (want.Summary == nil) || got.Summary != nil && *got.Summary != *want.Summary {
		t.Errorf("Summary = %+v, want %+v", got.Summary, want.Summary)
	}
	g, w := *got, *want
	g.CreatedAt, g.StartedAt, g.CompletedAt, g.HeartbeatAt, g.Fields, g.Summary = time.Time{}, time.Time{}, time.Time{}, time.Time{}, nil, nil
	w.CreatedAt, w.StartedAt, w.CompletedAt, w.HeartbeatAt, w.Fields, w.Summary = time.Time{}, time.Time{}, time.Time{}, time.Time{}, nil, nil
	g.MarkAt, w.MarkAt = time.Time{}, time.Time{}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("job = %+v, want %+v", g, w)
	}
}

// exportJob is a completed export with every export attribute set.
func exportJob(tenant string, n int) *userport.Job {
	j := newJob(tenant, n, userport.JobUsersExport, userport.JobCompleted, baseTime)
	j.ConnectionID, j.Connection = connID(1), userport.DefaultConnectionName
	j.Format, j.Limit = userport.FormatCSV, 5000
	j.Fields = []userport.Field{{Name: "email"}, {Name: "user_metadata.consent", ExportAs: "Consent, \"given\""}}
	j.StartedAt, j.CompletedAt = baseTime.Add(time.Second), baseTime.Add(90*time.Second)
	j.PercentageDone, j.TimeLeftSeconds = 100, 0
	j.FileKey, j.FileName, j.Rows, j.FileBytes = "exports/a/"+j.ID+".csv.gz", "a.csv.gz", 123456, 9_876_543_210
	j.Runner, j.HeartbeatAt = "runner-1", baseTime.Add(89*time.Second)
	// The filter and the manifest (issue 21); marks as large as PostgreSQL's
	// xid8 values get.
	j.Query, j.ChangesSince, j.Since = `app_metadata.plan:"pro" AND email:*@example.com`, "upc1_AAAA", 1<<40+7
	j.Tombstones, j.SHA256, j.FieldCounts = 12, strings.Repeat("ab", 32), []int64{123456, 0}
	j.Mark, j.MarkAt, j.HasMark = userport.Watermark{Low: 1<<40 + 100, High: 1<<40 + 105}, baseTime.Add(time.Second+time.Millisecond), true
	return j
}

func testUpdateJobManifest(t *testing.T, s userport.Store) {
	pending := newJob("a", 1, userport.JobUsersExport, userport.JobPending, baseTime)
	createJobs(t, s, pending)
	want := exportJob("a", 1)
	got, err := s.UpdateJob(t.Context(), "a", pending.ID, func(j *userport.Job) error {
		*j = *want
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateJob: %v", err)
	}
	checkJob(t, got, want)
	checkJob(t, findJob(t, s, "a", pending.ID), want)
}

// importJob is a failed import with every import attribute set.
func importJob(tenant string, n int) *userport.Job {
	j := newJob(tenant, n, userport.JobUsersImport, userport.JobFailed, baseTime.Add(time.Minute))
	j.ConnectionID, j.Connection = connID(2), "Other"
	j.Upsert, j.ExternalID, j.SendEmail, j.NewIDs, j.UploadKey = true, "ext-42", true, true, "imports/a/"+j.ID+".json"
	j.Summary = &userport.ImportSummary{Failed: 1, Updated: 2, Inserted: 3, Total: 6}
	j.StartedAt = baseTime.Add(2 * time.Minute)
	j.PercentageDone, j.TimeLeftSeconds, j.StatusDetails = 40, 17, "line 3: invalid email"
	return j
}

func testJobRoundTrip(t *testing.T, s userport.Store) {
	pending := newJob("a", 3, userport.JobUsersExport, userport.JobPending, baseTime.Add(time.Hour))
	pending.Format = userport.FormatJSON
	for _, j := range []*userport.Job{exportJob("a", 1), importJob("a", 2), pending} {
		createJobs(t, s, j)
		checkJob(t, findJob(t, s, "a", j.ID), j)
	}
}

func testCreateJobEnqueue(t *testing.T, s userport.Store) {
	ctx := t.Context()
	failing := errors.New("queue is down")
	calls := 0
	err := s.CreateJob(ctx, exportJob("a", 1), 0, func(ctx context.Context, tx userport.Tx) error {
		calls++
		if tx == nil || ctx == nil {
			t.Errorf("enqueue got tx %v, ctx %v; want both", tx, ctx)
		}
		return fmt.Errorf("enqueue: %w", failing)
	})
	if !errors.Is(err, failing) {
		t.Errorf("CreateJob error = %v, want the enqueue error", err)
	}
	_, err = s.FindJob(ctx, "a", jobID(1))
	wantError(t, err, userport.ENOTFOUND, "inexistent_job", jobNotFoundMessage)
	if n, err := s.CountJobs(ctx, userport.JobFilter{}); err != nil || n != 0 {
		t.Errorf("CountJobs after a failed enqueue = %d, %v; want 0", n, err)
	}

	err = s.CreateJob(ctx, exportJob("a", 1), 0, func(ctx context.Context, tx userport.Tx) error {
		calls++
		if tx == nil {
			t.Errorf("enqueue got a nil tx")
		}
		return nil
	})
	if err != nil {
		t.Fatalf("CreateJob: %v", err)
	}
	field(t, "enqueue calls", calls, 2)
	checkJob(t, findJob(t, s, "a", jobID(1)), exportJob("a", 1))
}

// testCreateJobLimit checks that CreateJob refuses, atomically, a job of a
// tenant with limit jobs of its type pending or processing.
func testCreateJobLimit(t *testing.T, s userport.Store) {
	ctx := t.Context()
	pending := func(tenant string, n int, typ userport.JobType, status userport.JobStatus) *userport.Job {
		return newJob(tenant, n, typ, status, baseTime)
	}
	createJobs(t, s, pending("a", 1, userport.JobUsersExport, userport.JobPending),
		pending("a", 2, userport.JobUsersExport, userport.JobCompleted), pending("a", 3, userport.JobUsersImport, userport.JobPending),
		pending("b", 4, userport.JobUsersExport, userport.JobPending))
	if err := s.CreateJob(ctx, pending("a", 5, userport.JobUsersExport, userport.JobPending), 2, noEnqueue); err != nil {
		t.Fatalf("CreateJob with 1 of 2 in flight: %v", err)
	}
	calls := 0
	err := s.CreateJob(ctx, pending("a", 6, userport.JobUsersExport, userport.JobPending), 2, func(context.Context, userport.Tx) error {
		calls++
		return nil
	})
	wantError(t, err, userport.ETOOMANY, "too_many_requests",
		"There are 2 pending export users jobs, please wait until some of them are finished and try again")
	field(t, "enqueue calls over the limit", calls, 0)
	_, err = s.FindJob(ctx, "a", jobID(6))
	wantError(t, err, userport.ENOTFOUND, "inexistent_job", jobNotFoundMessage)
	if err := s.CreateJob(ctx, pending("a", 7, userport.JobUsersExport, userport.JobPending), 0, noEnqueue); err != nil {
		t.Errorf("CreateJob without a limit: %v", err)
	}
	if err := s.CreateJob(ctx, pending("b", 8, userport.JobUsersExport, userport.JobPending), 2, noEnqueue); err != nil {
		t.Errorf("CreateJob of another tenant: %v", err)
	}
}

func testJobNotFound(t *testing.T, s userport.Store) {
	ctx := t.Context()
	createJobs(t, s, exportJob("a", 1))
	_, err := s.FindJob(ctx, "a", jobID(2))
	wantError(t, err, userport.ENOTFOUND, "inexistent_job", jobNotFoundMessage)
	_, err = s.FindJob(ctx, "b", jobID(1))
	wantError(t, err, userport.ENOTFOUND, "inexistent_job", jobNotFoundMessage)
	_, err = s.UpdateJob(ctx, "b", jobID(1), func(*userport.Job) error {
		t.Errorf("UpdateJob called fn for a missing job")
		return nil
	})
	wantError(t, err, userport.ENOTFOUND, "inexistent_job", jobNotFoundMessage)
	wantError(t, s.DeleteJob(ctx, "b", jobID(1)), userport.ENOTFOUND, "inexistent_job", jobNotFoundMessage)
	findJob(t, s, "a", jobID(1))
}

func testUpdateJob(t *testing.T, s userport.Store) {
	pending := newJob("a", 1, userport.JobUsersImport, userport.JobPending, baseTime)
	createJobs(t, s, pending, newJob("a", 2, userport.JobUsersImport, userport.JobPending, baseTime))
	want := importJob("a", 1)
	want.CreatedAt = pending.CreatedAt
	got, err := s.UpdateJob(t.Context(), "a", pending.ID, func(j *userport.Job) error {
		checkJob(t, j, pending)
		created := j.CreatedAt
		*j = *want
		j.CreatedAt = created
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateJob: %v", err)
	}
	checkJob(t, got, want)
	checkJob(t, findJob(t, s, "a", pending.ID), want)
	checkJob(t, findJob(t, s, "a", jobID(2)), newJob("a", 2, userport.JobUsersImport, userport.JobPending, baseTime))
}

func testUpdateJobAbort(t *testing.T, s userport.Store) {
	j := exportJob("a", 1)
	createJobs(t, s, j)
	abort := errors.New("abort")
	_, err := s.UpdateJob(t.Context(), "a", j.ID, func(j *userport.Job) error {
		j.Status, j.StatusDetails = userport.JobFailed, "changed"
		return abort
	})
	if err != abort {
		t.Errorf("UpdateJob error = %v, want fn's error as is", err)
	}
	checkJob(t, findJob(t, s, "a", j.ID), j)
}

func testDeleteJob(t *testing.T, s userport.Store) {
	ctx := t.Context()
	createJobs(t, s, exportJob("a", 1), exportJob("a", 2))
	if err := s.DeleteJob(ctx, "a", jobID(1)); err != nil {
		t.Fatalf("DeleteJob: %v", err)
	}
	_, err := s.FindJob(ctx, "a", jobID(1))
	wantError(t, err, userport.ENOTFOUND, "inexistent_job", jobNotFoundMessage)
	wantError(t, s.DeleteJob(ctx, "a", jobID(1)), userport.ENOTFOUND, "inexistent_job", jobNotFoundMessage)
	findJob(t, s, "a", jobID(2))
}

func testListJobs(t *testing.T, s userport.Store) {
	base := baseTime.Truncate(time.Millisecond)
	at := func(minutes int) time.Time { return base.Add(time.Duration(minutes) * time.Minute) }
	exp, imp := userport.JobUsersExport, userport.JobUsersImport
	// Created out of order; n is also the creation order.
	createJobs(t, s,
		newJob("b", 4, exp, userport.JobPending, at(4)),
		newJob("a", 1, exp, userport.JobCompleted, at(1)),
		newJob("a", 3, imp, userport.JobProcessing, at(3)),
		newJob("a", 6, exp, userport.JobPending, at(6)),
		newJob("a", 2, imp, userport.JobFailed, at(2)),
		newJob("b", 5, imp, userport.JobExpired, at(5)),
	)
	tests := []struct {
		name string
		f    userport.JobFilter
		want []int
	}{
		{"all", userport.JobFilter{}, []int{1, 2, 3, 4, 5, 6}},
		{"tenant", userport.JobFilter{Tenant: "a"}, []int{1, 2, 3, 6}},
		{"unknown tenant", userport.JobFilter{Tenant: "c"}, nil},
		{"type", userport.JobFilter{Type: imp}, []int{2, 3, 5}},
		{"one status", userport.JobFilter{Statuses: []userport.JobStatus{userport.JobPending}}, []int{4, 6}},
		{"statuses", userport.JobFilter{Statuses: []userport.JobStatus{userport.JobPending, userport.JobProcessing}}, []int{3, 4, 6}},
		{"created before (strict)", userport.JobFilter{CreatedBefore: at(3)}, []int{1, 2}},
		{"created before, 1 ms later", userport.JobFilter{CreatedBefore: at(3).Add(time.Millisecond)}, []int{1, 2, 3}},
		{"limit", userport.JobFilter{Limit: 2}, []int{1, 2}},
		{"limit over", userport.JobFilter{Limit: 10}, []int{1, 2, 3, 4, 5, 6}},
		{"all fields", userport.JobFilter{Tenant: "a", Type: exp, Statuses: []userport.JobStatus{userport.JobPending, userport.JobCompleted}, CreatedBefore: at(7), Limit: 1}, []int{1}},
		{"all fields, later", userport.JobFilter{Tenant: "b", Type: imp, Statuses: []userport.JobStatus{userport.JobExpired}, CreatedBefore: at(6)}, []int{5}},
		{"created after (inclusive)", userport.JobFilter{CreatedAfter: at(5)}, []int{5, 6}},
		{"created between", userport.JobFilter{CreatedAfter: at(2), CreatedBefore: at(4)}, []int{2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []string
			for _, n := range tt.want {
				want = append(want, jobID(n))
			}
			jobs, err := s.ListJobs(t.Context(), tt.f)
			if err != nil {
				t.Fatalf("ListJobs: %v", err)
			}
			var got []string
			for _, j := range jobs {
				got = append(got, j.ID)
			}
			wantIDs(t, "ListJobs", got, want)
			n, err := s.CountJobs(t.Context(), tt.f)
			if err != nil || n != len(want) {
				t.Errorf("CountJobs = %d, %v; want %d", n, err, len(want))
			}
		})
	}
}

// testListJobsNewestFirst checks the tenant's list of jobs: newest first,
// paged by Limit and Offset, ties in creation time broken by id.
func testListJobsNewestFirst(t *testing.T, s userport.Store) {
	base := baseTime.Truncate(time.Millisecond)
	exp, imp := userport.JobUsersExport, userport.JobUsersImport
	createJobs(t, s,
		newJob("a", 1, exp, userport.JobCompleted, base),
		newJob("a", 3, imp, userport.JobPending, base.Add(time.Minute)),
		newJob("a", 2, exp, userport.JobPending, base.Add(time.Minute)), // same time as 3: id decides
		newJob("a", 4, exp, userport.JobFailed, base.Add(2*time.Minute)),
		newJob("b", 5, exp, userport.JobPending, base.Add(3*time.Minute)),
	)
	tests := []struct {
		name string
		f    userport.JobFilter
		want []int
	}{
		{"all", userport.JobFilter{Tenant: "a"}, []int{4, 3, 2, 1}},
		{"first page", userport.JobFilter{Tenant: "a", Limit: 2}, []int{4, 3}},
		{"second page", userport.JobFilter{Tenant: "a", Limit: 2, Offset: 2}, []int{2, 1}},
		{"past the end", userport.JobFilter{Tenant: "a", Limit: 2, Offset: 4}, nil},
		{"offset, no limit", userport.JobFilter{Tenant: "a", Offset: 1}, []int{3, 2, 1}},
		{"created after", userport.JobFilter{Tenant: "a", CreatedAfter: base.Add(time.Minute)}, []int{4, 3, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.f.NewestFirst = true
			jobs, err := s.ListJobs(t.Context(), tt.f)
			if err != nil {
				t.Fatalf("ListJobs: %v", err)
			}
			var got, want []string
			for _, j := range jobs {
				got = append(got, j.ID)
			}
			for _, n := range tt.want {
				want = append(want, jobID(n))
			}
			wantIDs(t, "ListJobs", got, want)
		})
	}
}

// testStartJobInCreationOrder checks that a tenant's pending jobs start
// oldest first: a newer job waits while an older one is pending, whatever
// order their workers try them in.
func testStartJobInCreationOrder(t *testing.T, s userport.Store) {
	jobs := []*userport.Job{
		newJob("a", 1, userport.JobUsersExport, userport.JobPending, baseTime),
		newJob("a", 2, userport.JobUsersExport, userport.JobPending, baseTime.Add(time.Second)),
		newJob("a", 3, userport.JobUsersExport, userport.JobPending, baseTime.Add(2*time.Second)),
		newJob("b", 4, userport.JobUsersExport, userport.JobPending, baseTime.Add(3*time.Second)), // another tenant
	}
	createJobs(t, s, jobs...)
	steps := []struct {
		job  int
		want userport.JobStatus
	}{
		{2, userport.JobPending},    // jobs 0 and 1 are older
		{1, userport.JobPending},    // job 0 is older
		{3, userport.JobProcessing}, // tenant b has none
		{0, userport.JobProcessing},
		{2, userport.JobPending}, // the place is taken
		{-1, ""},                 // job 0 completes
		{2, userport.JobPending}, // job 1 is older
		{1, userport.JobProcessing},
	}
	for i, st := range steps {
		if st.job < 0 {
			completeExport(t, s, "a", jobs[0].ID, baseTime.Add(time.Hour))
			continue
		}
		j := jobs[st.job]
		got, err := s.StartJob(t.Context(), j.Tenant, j.ID, 1, baseTime.Add(time.Hour))
		if err != nil {
			t.Fatalf("step %d: StartJob(%s): %v", i, j.ID, err)
		}
		if got.Status != st.want {
			t.Errorf("step %d: job %d is %s, want %s", i, st.job, got.Status, st.want)
		}
	}
}

// completeExport completes the processing export id of tenant at now,
// through UpdateJob.
func completeExport(t *testing.T, s userport.Store, tenant, id string, now time.Time) {
	t.Helper()
	_, err := s.UpdateJob(t.Context(), tenant, id, func(j *userport.Job) error {
		return j.CompleteExport("", now, userport.ExportFile{})
	})
	if err != nil {
		t.Fatalf("complete %s: %v", id, err)
	}
}

func testJobCounts(t *testing.T, s userport.Store) {
	exp, imp := userport.JobUsersExport, userport.JobUsersImport
	createJobs(t, s,
		newJob("a", 1, exp, userport.JobCompleted, baseTime),
		newJob("b", 2, exp, userport.JobCompleted, baseTime),
		newJob("a", 3, exp, userport.JobPending, baseTime),
		newJob("b", 4, imp, userport.JobFailed, baseTime),
	)
	counts, err := s.JobCounts(t.Context())
	if err != nil {
		t.Fatalf("JobCounts: %v", err)
	}
	got := map[string]int64{}
	for _, c := range counts {
		got[string(c.Type)+"/"+string(c.Status)] = c.N
	}
	want := map[string]int64{"users_export/completed": 2, "users_export/pending": 1, "users_import/failed": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("JobCounts = %v, want %v", got, want)
	}
}
