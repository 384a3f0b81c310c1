package sqlite

import (
	"os"
	"time"

	"github.com/userport/userport"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestUserQueryPlans checks that every statement that looks users up
// searches the index it is meant to, on all the columns its WHERE fixes: a
// lookup that scans the tenant holds SQLite's one writer for as long as the
// table is large (issue 10: an import's probe by email read the tenant's
// 200,000 users for each record). The one full scan, seed's count, is listed
// as such.
func TestUserQueryPlans(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "userport.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	for _, q := range userQueries {
		plan := queryPlan(t, db, q.query)
		want := "SEARCH users USING " + q.search
		if strings.HasPrefix(q.search, "SCAN ") {
			want = q.search
		}
		if plan != want {
			t.Errorf("%s: plan of %q is\n%s\nwant %s", q.name, q.query, plan, want)
		}
	}
}

// queryPlan returns the details of EXPLAIN QUERY PLAN for query, one a line;
// its parameters are bound to NULL.
func queryPlan(t *testing.T, db *DB, query string) string {
	t.Helper()
	args := make([]any, strings.Count(query, "?"))
	rows, err := db.db.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN %s: %v", query, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// TestUserQueriesInOnePlace checks that no file of the package but
// userqueries.go writes a statement on the users table, so that
// TestUserQueryPlans sees them all.
func TestUserQueriesInOnePlace(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	stmt := regexp.MustCompile(`(?i)\b(FROM|UPDATE|INTO)\s+users\b`)
	for _, f := range files {
		if f == "userqueries.go" || strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if m := stmt.Find(src); m != nil {
			t.Errorf("%s has a statement on users (%q): move it to userqueries.go", f, m)
		}
	}
}

// TestJobListPlan checks that a tenant's list of jobs, newest first, walks
// the (tenant, created_at) index backwards without sorting the tenant's jobs.
func TestJobListPlan(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "userport.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	for _, f := range []userport.JobFilter{
		{Tenant: "t", NewestFirst: true, Limit: 50, Offset: 50},
		{Tenant: "t", NewestFirst: true, CreatedAfter: time.Unix(1, 0), Limit: 50},
	} {
		query, _ := listJobsQuery(f)
		plan := queryPlan(t, db, query)
		if !strings.HasPrefix(plan, "SEARCH jobs USING INDEX jobs_tenant_created (tenant=?") || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("plan of %q is\n%s\nwant a search of jobs_tenant_created with no sort", query, plan)
		}
	}
}

// TestSecretQueryPlans: the secrets table is read whole in key order (no
// sort) and changed by its primary key.
func TestSecretQueryPlans(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "userport.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	for query, want := range map[string]string{
		sqlListSecrets:  "SCAN secrets",
		sqlUpdateSecret: "SEARCH secrets USING PRIMARY KEY (name=?)",
		sqlDeleteSecret: "SEARCH secrets USING PRIMARY KEY (name=?)",
	} {
		if plan := queryPlan(t, db, query); plan != want {
			t.Errorf("plan of %q is\n%s\nwant %s", query, plan, want)
		}
	}
}
