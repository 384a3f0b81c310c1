package postgres

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
)

// TestJobCountsUsesIndex checks that the metrics' count of jobs by type and
// status scans the jobs_type_status index, not the table.
func TestJobCountsUsesIndex(t *testing.T) {
	ctx := t.Context()
	conn, _, _ := explainDB(t)
	execAll(t, conn, `ANALYZE jobs`, `SET enable_seqscan = off`)
	var plan []byte
	if err := conn.QueryRow(ctx, `EXPLAIN (FORMAT JSON) `+sqlJobCounts).Scan(&plan); err != nil {
		t.Fatalf("explain: %v", err)
	}
	var plans []struct{ Plan planNode }
	if err := json.Unmarshal(plan, &plans); err != nil || len(plans) != 1 {
		t.Fatalf("plan %s: %v", plan, err)
	}
	seq, indexes := scans(plans[0].Plan, "jobs")
	if seq > 0 || !slices.Contains(indexes, "jobs_type_status") {
		t.Errorf("%d sequential scans of jobs and indexes %q, want none and jobs_type_status; plan: %s", seq, indexes, plan)
	}
}

// TestJobListPlan checks GET /api/v2/jobs's statements (httpapi listJobs),
// as generic plans: a tenant's jobs of the last 7 days, newest first, a page
// at an offset, and their total. Neither scans the table nor sorts the
// tenant's jobs (an incremental sort of the jobs created in the same
// millisecond is no sort of them). Among the jobs of 500 tenants both walk
// jobs_tenant_created. Among a handful of tenants, whose jobs are each a
// large share of the rows, the planner may walk jobs_created instead and
// skip the other tenants' jobs: rows in created_at order cost it less to
// fetch, and there it skips few.
func TestJobListPlan(t *testing.T) {
	for _, tt := range []struct {
		tenants int
		indexes []string // either
	}{
		{500, []string{"jobs_tenant_created"}},
		{5, []string{"jobs_tenant_created", "jobs_created"}},
	} {
		t.Run(fmt.Sprint(tt.tenants, " tenants"), func(t *testing.T) {
			conn, _, _ := explainDB(t)
			execAll(t, conn, fmt.Sprintf(`INSERT INTO jobs (tenant, id, type, status, created_at)
					SELECT 't' || i %% %d, 'job_' || lpad(i::text, 16, '0'), 'users_export', 'completed',
						now() - i * interval '1 minute'
					FROM generate_series(1, 5000) i`, tt.tenants),
				`ANALYZE jobs`, `SET enable_seqscan = off`, `SET plan_cache_mode = force_generic_plan`)
			f := userport.JobFilter{Tenant: "t0", CreatedAfter: time.Now().Add(-7 * 24 * time.Hour), NewestFirst: true, Limit: 50, Offset: 100}
			list, listArgs := listJobsQuery(f)
			f.Limit, f.Offset = 0, 0
			count, countArgs := countJobsQuery(f)
			for _, q := range []struct {
				name, sql string
				args      []any
			}{
				{"list", list, listArgs},
				{"count", count, countArgs},
			} {
				root, plan := preparedPlan(t, conn, q.sql, q.args...)
				seq, indexes := scans(root, "jobs")
				if seq > 0 || len(indexes) != 1 || !slices.Contains(tt.indexes, indexes[0]) || hasNode(root, "Sort") {
					t.Errorf("%s: %s, indexes %q; want one scan of %s and no sort; plan: %s", q.name, nodeTypes(root), indexes, tt.indexes, plan)
				}
			}
		})
	}
}

// hasNode reports whether the plan n has a node of type typ.
func hasNode(n planNode, typ string) bool {
	return n.NodeType == typ || slices.ContainsFunc(n.Plans, func(c planNode) bool { return hasNode(c, typ) })
}

// TestActiveJobCountsUseIndex checks that the counts every job creation
// and start makes (the tenant's active jobs of one type, and those ahead of
// a job) read the jobs_type_status index, not the table, with the active
// statuses as a parameter (userport.ActiveJobStatuses).
func TestActiveJobCountsUseIndex(t *testing.T) {
	ctx := t.Context()
	conn, _, _ := explainDB(t)
	execAll(t, conn, `ANALYZE jobs`, `SET enable_seqscan = off`)
	j := &userport.Job{Tenant: "t0", ID: "job_0000000000000001", Type: userport.JobUsersExport, CreatedAt: time.Now()}
	for _, q := range []struct {
		name, sql string
		args      []any
	}{
		{"active", sqlCountActive, activeArgs(j.Tenant, j.Type)},
		{"ahead", sqlCountAhead, aheadArgs(j)},
	} {
		var plan []byte
		if err := conn.QueryRow(ctx, `EXPLAIN (FORMAT JSON) `+q.sql, q.args...).Scan(&plan); err != nil {
			t.Fatalf("%s: explain: %v", q.name, err)
		}
		var plans []struct{ Plan planNode }
		if err := json.Unmarshal(plan, &plans); err != nil || len(plans) != 1 {
			t.Fatalf("%s: plan %s: %v", q.name, plan, err)
		}
		seq, indexes := scans(plans[0].Plan, "jobs")
		if seq > 0 || !slices.Contains(indexes, "jobs_type_status") {
			t.Errorf("%s: %d sequential scans of jobs and indexes %q, want none and jobs_type_status; plan: %s", q.name, seq, indexes, plan)
		}
	}
}

// TestWebhookLookupsUseIndexes checks the webhook statements as generic
// plans: a webhook, a delivery and a tenant's webhooks by the primary keys,
// a webhook's deliveries newest first by webhook_deliveries_created without
// a sort; none scans a table.
func TestWebhookLookupsUseIndexes(t *testing.T) {
	conn, _, _ := explainDB(t)
	execAll(t, conn, `INSERT INTO webhooks (tenant, id, url, sealed, created_at)
			SELECT 't' || i % 50, 'whk_' || lpad(i::text, 16, '0'), 'https://example.com', '\x00', now()
			FROM generate_series(1, 500) i`,
		`INSERT INTO webhook_deliveries (tenant, webhook_id, event_id, event_type, job_id, payload, status, created_at)
			SELECT 't' || (i % 500 + 1) % 50, 'whk_' || lpad((i % 500 + 1)::text, 16, '0'), 'msg_' || i, 'job.completed', 'job_1', '\x00', 'pending',
				now() - i * interval '1 second'
			FROM generate_series(1, 5000) i`,
		`ANALYZE webhooks`, `ANALYZE webhook_deliveries`, `SET enable_seqscan = off`, `SET plan_cache_mode = force_generic_plan`)
	for _, q := range []struct {
		name, sql, table, index string
		args                    []any
	}{
		{"find webhook", sqlFindWebhook, "webhooks", "webhooks_pkey", []any{"t1", "whk_0000000000000001"}},
		{"list webhooks", sqlListWebhooks, "webhooks", "webhooks_pkey", []any{"t1"}},
		// Either index: PostgreSQL 18 also finds one delivery through
		// webhook_deliveries_created, its event_id in the index condition.
		{"find delivery", sqlFindDelivery, "webhook_deliveries", "", []any{"t1", "whk_0000000000000001", "msg_1"}},
		{"list deliveries", sqlListDeliveries, "webhook_deliveries", "webhook_deliveries_created", []any{"t1", "whk_0000000000000001", 50}},
		{"purge deliveries", sqlPurgeDeliveries, "webhook_deliveries", "webhook_deliveries_purge", []any{time.Now().Add(-7 * 24 * time.Hour).Format(time.RFC3339), 2000}},
	} {
		root, plan := preparedPlan(t, conn, q.sql, q.args...)
		seq, indexes := scans(root, q.table)
		if seq > 0 || len(indexes) == 0 || q.index != "" && !slices.Contains(indexes, q.index) || q.name == "list deliveries" && hasNode(root, "Sort") ||
			q.name == "find delivery" && !strings.Contains(string(plan), `event_id = $3`) {
			t.Errorf("%s: %s, indexes %q; want %s; plan: %s", q.name, nodeTypes(root), indexes, q.index, plan)
		}
	}
}
