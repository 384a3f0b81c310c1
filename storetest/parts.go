package storetest

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/userport/userport"
)

// partTests are the cases of split exports' parts and samples.
var partTests = []struct {
	name string
	fn   func(t *testing.T, s userport.Store)
}{
	{"SampleUsers", testSampleUsers},
	{"ExportPartsRoundTrip", testExportPartsRoundTrip},
	{"ExportPartClaims", testExportPartClaims},
	{"ExportPartsPurgedWithJob", testExportPartsPurgedWithJob},
}

// testSampleUsers checks the sample of a tenant and of a connection: every
// user_id when they are few for the size, else some of them, in order, that
// stand for as many users as there are; other tenants' users never in it.
func testSampleUsers(t *testing.T, s userport.Store) {
	users := seedUsers(t, s, 25)
	conn1 := ofConnection(users, connID(1))
	for _, tt := range []struct {
		conn string
		want []*userport.User
	}{
		{"", users},
		{connID(1), conn1},
		{connID(3), nil},
	} {
		got, err := s.SampleUsers(t.Context(), "a", tt.conn, 1000)
		if err != nil {
			t.Fatalf("SampleUsers(%q, 1000): %v", tt.conn, err)
		}
		if !slices.Equal(got.IDs, userIDs(tt.want)) || got.Users() != int64(len(tt.want)) {
			t.Errorf("SampleUsers(%q, 1000) = %q (%d users), want every one, %q", tt.conn, got.IDs, got.Users(), userIDs(tt.want))
		}
	}
	got, err := s.SampleUsers(t.Context(), "a", "", 5)
	if err != nil {
		t.Fatalf("SampleUsers(5): %v", err)
	}
	all := userIDs(users)
	if len(got.IDs) == 0 || !slices.IsSorted(got.IDs) || slices.ContainsFunc(got.IDs, func(id string) bool {
		_, found := slices.BinarySearch(all, id)
		return !found
	}) || len(slices.Compact(slices.Clone(got.IDs))) != len(got.IDs) {
		t.Errorf("SampleUsers(5) = %q, want some of the tenant's user_ids, in order, once each", got.IDs)
	}
	if n := got.Users(); n < 25-int64(got.Weight) || n > 25+int64(got.Weight) {
		t.Errorf("SampleUsers(5) stands for %d users (%d ids of weight %g), want about 25", n, len(got.IDs), got.Weight)
	}
	if got, err := s.SampleUsers(t.Context(), "nobody", "", 5); err != nil || len(got.IDs) != 0 || got.Users() != 0 {
		t.Errorf("SampleUsers of a tenant without users = %+v, %v; want none", got, err)
	}
	if _, err := s.SampleUsers(t.Context(), "a", "", 0); err == nil {
		t.Error("SampleUsers(0) succeeded, want an error")
	}
}

// newParts returns the n parts of export job id of tenant "a", cut at
// users 10, 20, ...
func newParts(id string, n int) []*userport.ExportPart {
	parts := make([]*userport.ExportPart, n)
	for i := range parts {
		p := &userport.ExportPart{Tenant: "a", JobID: id, Index: i, Status: userport.JobPending}
		if i > 0 {
			p.After = userID(10 * i)
		}
		if i < n-1 {
			p.Until = userID(10 * (i + 1))
		}
		parts[i] = p
	}
	return parts
}

// listParts lists a job's parts, failing t on error.
func listParts(t *testing.T, s userport.Store, tenant, id string) []*userport.ExportPart {
	t.Helper()
	parts, err := s.ListExportParts(t.Context(), tenant, id)
	if err != nil {
		t.Fatalf("ListExportParts(%q, %q): %v", tenant, id, err)
	}
	return parts
}

func testExportPartsRoundTrip(t *testing.T, s userport.Store) {
	job := newJob("a", 1, userport.JobUsersExport, userport.JobProcessing, baseTime)
	createJobs(t, s, job)
	parts := newParts(job.ID, 3)
	if err := s.CreateExportParts(t.Context(), parts); err != nil {
		t.Fatalf("CreateExportParts: %v", err)
	}
	if got := listParts(t, s, "a", job.ID); !reflect.DeepEqual(got, parts) {
		t.Errorf("ListExportParts = %+v, want %+v", got, parts)
	}
	if got := listParts(t, s, "b", job.ID); len(got) != 0 {
		t.Errorf("ListExportParts of another tenant = %+v, want none", got)
	}
	if got := listParts(t, s, "a", jobID(2)); len(got) != 0 {
		t.Errorf("ListExportParts of another job = %+v, want none", got)
	}
	err := s.CreateExportParts(t.Context(), newParts(job.ID, 2))
	wantError(t, err, userport.ECONFLICT, "", "")
	if got := listParts(t, s, "a", job.ID); !reflect.DeepEqual(got, parts) {
		t.Errorf("after a second CreateExportParts, ListExportParts = %+v, want %+v", got, parts)
	}

	// Every field round-trips, times at millisecond precision.
	beat := baseTime.Add(1500*time.Millisecond + 700*time.Microsecond)
	got, err := s.UpdateExportPart(t.Context(), "a", job.ID, 1, func(p *userport.ExportPart) error {
		p.Status, p.Runner, p.HeartbeatAt, p.Done = userport.JobCompleted, "r1", beat, 10
		p.FileKey, p.Rows, p.FileBytes = userport.ExportPartKey(job.ID, 1, "r1"), 10, 9_876_543_210
		p.JobID, p.Index = "job_other", 7 // ignored
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateExportPart: %v", err)
	}
	want := *parts[1]
	want.Status, want.Runner, want.HeartbeatAt, want.Done = userport.JobCompleted, "r1", beat.Truncate(time.Millisecond), 10
	want.FileKey, want.Rows, want.FileBytes = userport.ExportPartKey(job.ID, 1, "r1"), 10, 9_876_543_210
	stored := listParts(t, s, "a", job.ID)
	for name, p := range map[string]*userport.ExportPart{"returned": got, "stored": stored[1]} {
		checkTime(t, name+" HeartbeatAt", p.HeartbeatAt, want.HeartbeatAt)
		g, w := *p, want
		g.HeartbeatAt, w.HeartbeatAt = time.Time{}, time.Time{}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s part = %+v, want %+v", name, g, w)
		}
	}
	if !reflect.DeepEqual(stored[0], parts[0]) || !reflect.DeepEqual(stored[2], parts[2]) {
		t.Errorf("UpdateExportPart of part 1 changed others: %+v", stored)
	}

	_, err = s.UpdateExportPart(t.Context(), "a", job.ID, 3, func(*userport.ExportPart) error { return nil })
	wantError(t, err, userport.ENOTFOUND, "", "")
	_, err = s.UpdateExportPart(t.Context(), "a", job.ID, 0, func(*userport.ExportPart) error { return userport.ErrPartLost })
	if err != userport.ErrPartLost {
		t.Errorf("UpdateExportPart whose fn fails: %v, want fn's error", err)
	}
}

// testExportPartClaims runs the parts' state changes through the store: of
// two runners, one claims a part; the other takes it over only once its
// heartbeat is stale, and the first then neither beats nor completes it.
func testExportPartClaims(t *testing.T, s userport.Store) {
	job := newJob("a", 1, userport.JobUsersExport, userport.JobProcessing, baseTime)
	createJobs(t, s, job)
	if err := s.CreateExportParts(t.Context(), newParts(job.ID, 2)); err != nil {
		t.Fatal(err)
	}
	update := func(fn func(p *userport.ExportPart) error) error {
		_, err := s.UpdateExportPart(t.Context(), "a", job.ID, 0, fn)
		return err
	}
	const stale = time.Minute
	now := baseTime.Add(time.Hour)
	if err := update(func(p *userport.ExportPart) error { return p.Claim("r1", now, stale) }); err != nil {
		t.Fatalf("claim of a pending part: %v", err)
	}
	if err := update(func(p *userport.ExportPart) error { return p.Claim("r2", now.Add(stale/2), stale) }); err != userport.ErrPartTaken {
		t.Fatalf("claim of a live part: %v, want ErrPartTaken", err)
	}
	if err := update(func(p *userport.ExportPart) error { return p.Beat("r1", now.Add(stale/2), 5) }); err != nil {
		t.Fatalf("beat: %v", err)
	}
	if err := update(func(p *userport.ExportPart) error { return p.Claim("r2", now.Add(stale), stale) }); err != userport.ErrPartTaken {
		t.Fatalf("claim of a part that beat: %v, want ErrPartTaken", err)
	}
	if err := update(func(p *userport.ExportPart) error { return p.Claim("r2", now.Add(2*stale), stale) }); err != nil {
		t.Fatalf("claim of a stale part: %v", err)
	}
	if err := update(func(p *userport.ExportPart) error { return p.Beat("r1", now.Add(2*stale), 9) }); err != userport.ErrPartLost {
		t.Errorf("beat of a part taken over: %v, want ErrPartLost", err)
	}
	if err := update(func(p *userport.ExportPart) error {
		return p.Complete("r1", userport.ExportFile{Key: "k1", Rows: 10, Bytes: 100})
	}); err != userport.ErrPartLost {
		t.Errorf("completion of a part taken over: %v, want ErrPartLost", err)
	}
	if err := update(func(p *userport.ExportPart) error {
		return p.Complete("r2", userport.ExportFile{Key: "k2", Rows: 10, Bytes: 100, FieldCounts: []int64{10, 3}})
	}); err != nil {
		t.Fatalf("completion: %v", err)
	}
	if err := update(func(p *userport.ExportPart) error { return p.Claim("r3", now.Add(time.Hour), stale) }); err != userport.ErrPartTaken {
		t.Errorf("claim of a completed part: %v, want ErrPartTaken", err)
	}
	p := listParts(t, s, "a", job.ID)[0]
	if p.Status != userport.JobCompleted || p.Runner != "r2" || p.FileKey != "k2" || p.Rows != 10 || p.Done != 10 ||
		!slices.Equal(p.FieldCounts, []int64{10, 3}) {
		t.Errorf("completed part = %+v", p)
	}
}

func testExportPartsPurgedWithJob(t *testing.T, s userport.Store) {
	j1 := newJob("a", 1, userport.JobUsersExport, userport.JobProcessing, baseTime)
	j2 := newJob("a", 2, userport.JobUsersExport, userport.JobProcessing, baseTime)
	createJobs(t, s, j1, j2)
	for _, j := range []*userport.Job{j1, j2} {
		if err := s.CreateExportParts(t.Context(), newParts(j.ID, 2)); err != nil {
			t.Fatal(err)
		}
	}
	// Updating a job (SQLite rewrites its row) keeps its parts.
	if _, err := s.UpdateJob(t.Context(), "a", j1.ID, func(j *userport.Job) error { j.PercentageDone = 5; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := listParts(t, s, "a", j1.ID); len(got) != 2 {
		t.Fatalf("parts after UpdateJob: %d, want 2", len(got))
	}
	if err := s.DeleteJob(t.Context(), "a", j1.ID); err != nil {
		t.Fatal(err)
	}
	if got := listParts(t, s, "a", j1.ID); len(got) != 0 {
		t.Errorf("parts of a deleted job: %+v, want none", got)
	}
	if got := listParts(t, s, "a", j2.ID); len(got) != 2 {
		t.Errorf("parts of the other job: %d, want 2", len(got))
	}
}
