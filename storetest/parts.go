package storetest

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/userport/userport"
)

// partTests are the cases of split exports' parts and cut points.
var partTests = []struct {
	name string
	fn   func(t *testing.T, s userport.Store)
}{
	{"UserCuts", testUserCuts},
	{"ExportPartsRoundTrip", testExportPartsRoundTrip},
	{"ExportPartClaims", testExportPartClaims},
	{"ExportPartsPurgedWithJob", testExportPartsPurgedWithJob},
}

// testUserCuts checks the cut points of a tenant and of a connection: the
// every-th user_id, at most max of them, other tenants' users never counted.
func testUserCuts(t *testing.T, s userport.Store) {
	users := seedUsers(t, s, 25)
	ids := func(us []*userport.User, every, max int) []string {
		var out []string
		for i := every - 1; i < len(us) && len(out) < max; i += every {
			out = append(out, us[i].UserID)
		}
		return out
	}
	conn1 := ofConnection(users, connID(1))
	for _, tt := range []struct {
		conn       string
		every, max int
		want       []string
	}{
		{"", 5, 10, ids(users, 5, 10)}, // 5 cuts, the last one the last user
		{"", 7, 10, ids(users, 7, 10)}, // 3 cuts
		{"", 7, 2, ids(users, 7, 2)},   // stopped at max
		{"", 1, 3, ids(users, 1, 3)},   // every user
		{"", 30, 3, nil},               // fewer users than every
		{connID(1), 4, 9, ids(conn1, 4, 9)},
		{connID(3), 1, 9, nil},
	} {
		got, err := s.UserCuts(t.Context(), "a", tt.conn, int64(tt.every), tt.max)
		if err != nil {
			t.Fatalf("UserCuts(%q, %d, %d): %v", tt.conn, tt.every, tt.max, err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("UserCuts(%q, %d, %d) = %q, want %q", tt.conn, tt.every, tt.max, got, tt.want)
		}
	}
	if got, err := s.UserCuts(t.Context(), "nobody", "", 1, 5); err != nil || len(got) != 0 {
		t.Errorf("UserCuts of a tenant without users = %q, %v; want none", got, err)
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
	if err := update(func(p *userport.ExportPart) error { return p.Complete("r1", "k1", 10, 100) }); err != userport.ErrPartLost {
		t.Errorf("completion of a part taken over: %v, want ErrPartLost", err)
	}
	if err := update(func(p *userport.ExportPart) error { return p.Complete("r2", "k2", 10, 100) }); err != nil {
		t.Fatalf("completion: %v", err)
	}
	if err := update(func(p *userport.ExportPart) error { return p.Claim("r3", now.Add(time.Hour), stale) }); err != userport.ErrPartTaken {
		t.Errorf("claim of a completed part: %v, want ErrPartTaken", err)
	}
	p := listParts(t, s, "a", job.ID)[0]
	if p.Status != userport.JobCompleted || p.Runner != "r2" || p.FileKey != "k2" || p.Rows != 10 || p.Done != 10 {
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
