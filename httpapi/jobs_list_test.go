package httpapi_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"
)

// TestListJobs checks GET /api/v2/jobs, userport's list of the tenant's jobs:
// newest first, paged as Auth0 pages users, each job as GET /jobs/{id} shows
// it but without a download link, purged jobs gone, read:users required.
func TestListJobs(t *testing.T) {
	b := setup(t)
	b.work(nil)
	var ids []string // oldest first
	for range 3 {
		j := b.exCreate(`{"format":"json"}`)
		b.completed(j.ID)
		ids = append(ids, j.ID)
		b.advance(time.Second)
	}
	newest := slices.Clone(ids)
	slices.Reverse(newest)

	listIDs := func(path string) []string {
		t.Helper()
		r := b.admin(http.MethodGet, path, nil)
		r.wantStatus(t, http.StatusOK)
		var jobs []job
		r.decode(t, &jobs)
		var got []string
		for _, j := range jobs {
			if j.Type != "users_export" || j.Status != "completed" || j.Location != "" {
				t.Errorf("%s: job %s is %s %s with location %q; want a completed users_export without location",
					path, j.ID, j.Type, j.Status, j.Location)
			}
			got = append(got, j.ID)
		}
		return got
	}
	pages := []struct {
		path string
		want []string
	}{
		{"/jobs", newest},
		{"/jobs?per_page=2", newest[:2]},
		{"/jobs?page=1&per_page=2", newest[2:]},
		{"/jobs?page=2&per_page=2", nil},
	}
	for _, p := range pages {
		if got := listIDs(p.path); !slices.Equal(got, p.want) {
			t.Errorf("GET %s = %q, want %q", p.path, got, p.want)
		}
	}

	var totals struct {
		Jobs                        []json.RawMessage
		Start, Limit, Length, Total int
	}
	r := b.admin(http.MethodGet, "/jobs?page=1&per_page=2&include_totals=true", nil)
	r.wantStatus(t, http.StatusOK)
	r.decode(t, &totals)
	if len(totals.Jobs) != 1 || totals.Start != 2 || totals.Limit != 2 || totals.Length != 1 || totals.Total != 3 {
		t.Errorf("include_totals page = %s, want 1 job, start 2, limit 2, length 1, total 3", r.body)
	}

	b.api(http.MethodGet, "/jobs", b.token("create:users"), nil).
		wantError(t, http.StatusForbidden, "insufficient_scope", "Insufficient scope, expected any of: read:users")
	b.api(http.MethodGet, "/jobs", "", nil).wantStatus(t, http.StatusUnauthorized)
	b.admin(http.MethodGet, "/jobs?per_page=101", nil).wantStatus(t, http.StatusBadRequest)
	b.admin(http.MethodGet, "/jobs?status=completed", nil).wantStatus(t, http.StatusBadRequest)

	// Past the file lifetime the jobs show as expired; past the record
	// lifetime they are gone, whether or not the cleanup ran.
	b.advance(25 * time.Hour)
	r = b.admin(http.MethodGet, "/jobs", nil)
	var jobs []job
	r.decode(t, &jobs)
	if len(jobs) != 3 || jobs[0].Status != "expired" {
		t.Errorf("after 25 h: %s, want 3 expired jobs", r.body)
	}
	b.advance(7 * 24 * time.Hour)
	if got := listIDs("/jobs"); len(got) != 0 {
		t.Errorf("after 8 days: %q, want no job", got)
	}
}
