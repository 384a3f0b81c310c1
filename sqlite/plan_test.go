package sqlite

import (
	"os"
	"time"

	"github.com/userport/userport"
	"path/filepath"
	"regexp"
	"strconv"
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
// its parameters (? or ?N) are bound to NULL.
func queryPlan(t *testing.T, db *DB, query string) string {
	t.Helper()
	n := strings.Count(query, "?")
	if numbered := regexp.MustCompile(`\?(\d+)`).FindAllStringSubmatch(query, -1); len(numbered) > 0 {
		n = 0
		for _, m := range numbered {
			k, _ := strconv.Atoi(m[1])
			n = max(n, k)
		}
	}
	args := make([]any, n)
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

// TestJobCountsPlan checks that the metrics' count of jobs by type and
// status reads its covering index, not the job rows.
func TestJobCountsPlan(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "userport.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	want := "SCAN jobs USING COVERING INDEX jobs_type_status"
	if plan := queryPlan(t, db, sqlJobCounts); plan != want {
		t.Errorf("plan of %q is\n%s\nwant %s", sqlJobCounts, plan, want)
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

// TestSearchQueryPlans checks that every page statement of ScanUserKeys
// searches its key's index on the tenant and a range of the key, the one
// of user_id the primary key: a user search never reads the tenant's other
// users, nor sorts them.
func TestSearchQueryPlans(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "userport.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	for key, k := range searchKeys {
		for _, next := range []bool{false, true} {
			for _, hasTo := range []bool{false, true} {
				query := qSearchPage(key, next, hasTo)
				plan := queryPlan(t, db, query)
				want := "SEARCH users USING INDEX " + k.index + " (tenant=? AND "
				if key == userport.KeyUserID {
					want = "SEARCH users USING PRIMARY KEY (tenant=? AND "
				}
				if !strings.HasPrefix(plan, want) || strings.Contains(plan, "\n") || strings.Contains(plan, "TEMP B-TREE") {
					t.Errorf("key %d next=%v to=%v: plan of %q is\n%s\nwant one line starting %s", key, next, hasTo, query, plan, want)
				}
			}
		}
	}
}

// TestChangeQueryPlans: an incremental export's page of tombstones reads
// tombstones_changes in order and looks each user up by its key; the
// cleanup's purge reads tombstones_deleted; horizons and tombstones are
// written by their keys; a tenant's mark reads the last entry of each of
// its change indexes.
func TestChangeQueryPlans(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "userport.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	for query, want := range map[string]string{
		qReadTombstones: "SEARCH t USING INDEX tombstones_changes (tenant=? AND change_seq>? AND change_seq<?)\n" +
			"CORRELATED SCALAR SUBQUERY 1\nSEARCH u USING PRIMARY KEY (tenant=? AND user_id=?)",
		qOldTombstones:   "SEARCH tombstones USING INDEX tombstones_deleted (deleted_at<?)",
		qDeleteTombstone: "SEARCH tombstones USING PRIMARY KEY (tenant=? AND user_id=?)",
		qHorizon:         "SEARCH change_horizons USING PRIMARY KEY (tenant=?)",
		// Each max reads one index entry, the tenant's last (SQLite's min/max
		// optimisation: a SeekLE on the tenant, no loop).
		qMark: "SCAN CONSTANT ROW\n" + markPlan,
	} {
		if plan := queryPlan(t, db, query); plan != want {
			t.Errorf("plan of %q is\n%s\nwant %s", query, plan, want)
		}
	}
}

// TestWebhookQueryPlans checks that every lookup of the webhook tables
// searches a key: a tenant's webhooks by the primary key, a webhook's
// deliveries newest first by webhook_deliveries_created, without a sort.
func TestWebhookQueryPlans(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "userport.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	for query, want := range map[string]string{
		sqlFindWebhook:      "SEARCH webhooks USING PRIMARY KEY (tenant=? AND id=?)",
		sqlListWebhooks:     "SEARCH webhooks USING PRIMARY KEY (tenant=?)\nUSE TEMP B-TREE FOR ORDER BY",
		sqlDeleteWebhook:    "SEARCH webhooks USING PRIMARY KEY (tenant=? AND id=?)",
		sqlDeleteDeliveries: "SEARCH webhook_deliveries USING PRIMARY KEY (tenant=? AND webhook_id=?)",
		sqlFindDelivery:     "SEARCH webhook_deliveries USING PRIMARY KEY (tenant=? AND webhook_id=? AND event_id=?)",
		sqlListDeliveries:   "SEARCH webhook_deliveries USING INDEX webhook_deliveries_created (tenant=? AND webhook_id=?)",
		sqlPurgeDeliveries: "SEARCH webhook_deliveries USING PRIMARY KEY (tenant=? AND webhook_id=? AND event_id=?)\n" +
			"LIST SUBQUERY 2\nSEARCH webhook_deliveries USING COVERING INDEX webhook_deliveries_purge (created_at<?)",
	} {
		if plan := queryPlan(t, db, query); plan != want {
			t.Errorf("plan of %q is\n%s\nwant %s", query, plan, want)
		}
	}
}
