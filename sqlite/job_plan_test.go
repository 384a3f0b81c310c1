package sqlite

import (
	"path/filepath"
	"testing"
)

// TestActiveJobCountPlan checks that the count of a tenant's active jobs,
// whose statuses are parameters (userport.ActiveJobStatuses), still reads
// only the jobs_type_status index: it runs on every job created.
func TestActiveJobCountPlan(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "userport.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	want := "SEARCH jobs USING COVERING INDEX jobs_type_status (type=? AND status=? AND tenant=?)"
	if plan := queryPlan(t, db, sqlCountActive); plan != want {
		t.Errorf("plan of %q is\n%s\nwant %s", sqlCountActive, plan, want)
	}
}
