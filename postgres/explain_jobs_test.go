package postgres

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestJobCountsUsesIndex checks that the metrics' count of jobs by type and
// status scans the jobs_type_status index, not the table.
func TestJobCountsUsesIndex(t *testing.T) {
	ctx := t.Context()
	conn, _, schema := explainDB(t)
	for _, s := range []string{`SET search_path = ` + schema, `ANALYZE jobs`, `SET enable_seqscan = off`} {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
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
