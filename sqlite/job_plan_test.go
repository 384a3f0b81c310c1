package sqlite

import (
	"path/filepath"
	"strings"
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
	// The jobs ahead of a job (StartJob, on every start) go through the
	// same index; their creation time and id are read from the rows.
	if plan := queryPlan(t, db, sqlCountAhead); !strings.HasPrefix(plan, "SEARCH jobs USING INDEX jobs_type_status (type=? AND status=? AND tenant=?)") &&
		!strings.HasPrefix(plan, "SEARCH jobs USING COVERING INDEX jobs_type_status") {
		t.Errorf("plan of %q is\n%s\nwant a search of jobs_type_status", sqlCountAhead, plan)
	}
}
