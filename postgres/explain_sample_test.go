package postgres

import (
	"slices"
	"strings"
	"testing"
)

// TestUserSamplePlan checks that the split export's sample reads sampled
// pages of users (a Sample Scan) and nothing else: no sequential scan, no
// walk of an index, before the table is analyzed or vacuumed and after.
func TestUserSamplePlan(t *testing.T) {
	ctx := t.Context()
	conn, db, _ := explainDB(t)
	createUsers(t, db, 2000)
	execAll(t, conn, `SET plan_cache_mode = force_generic_plan`)
	for _, state := range []string{"fresh", "analyzed"} {
		if state == "analyzed" {
			if err := db.AnalyzeUsers(ctx, true); err != nil {
				t.Fatal(err)
			}
		}
		for _, q := range []struct {
			name, sql string
			args      []any
		}{
			{"tenant", sqlSampleUsers, []any{"t0", 10}},
			{"connection", sqlSampleConnUsers, []any{"t0", "con_1", 10}},
		} {
			t.Run(state+" "+q.name, func(t *testing.T) {
				root, plan := preparedPlan(t, conn, q.sql, q.args...)
				if got := nodeTypes(root); !strings.Contains(got, "Sample Scan on users") ||
					strings.Contains(got, "Seq Scan") || strings.Contains(got, "Index") {
					t.Errorf("plan %s, want a Sample Scan of users and no other scan: %s", got, plan)
				}
			})
		}
	}
}

// nodeTypes lists the nodes of the plan n, with the relation each scans.
func nodeTypes(n planNode) string {
	s := n.NodeType
	if n.Relation != "" {
		s += " on " + n.Relation
	}
	for _, c := range n.Plans {
		s += ", " + nodeTypes(c)
	}
	return s
}

// TestSampleUsersOfALargeTable checks a sample of some of the pages of
// users: the tenant's user_ids in order, standing for about as many users
// as the tenant has, cut into ranges of about equal size.
func TestSampleUsersOfALargeTable(t *testing.T) {
	ctx := t.Context()
	conn, db, schema := explainDB(t)
	// 24,000 users of ~900 bytes, 3 tenants in turn: about 3,000 pages.
	if _, err := conn.Exec(ctx, `INSERT INTO `+schema+`.users (tenant, user_id, connection_id, doc)
		SELECT 't' || i % 3, 'auth0|' || lpad(i::text, 6, '0'), 'con_' || i % 2, '{"x":"' || repeat('x', 890) || '"}'
		FROM generate_series(0, 23999) i`); err != nil {
		t.Fatal(err)
	}
	s, err := db.SampleUsers(ctx, "t0", "", 2000)
	if err != nil {
		t.Fatal(err)
	}
	if s.Weight <= 1 || len(s.IDs) == 0 || !slices.IsSorted(s.IDs) || len(slices.Compact(slices.Clone(s.IDs))) != len(s.IDs) {
		t.Fatalf("sample of %d ids of weight %g, sorted %v; want some, in order, of weight above 1", len(s.IDs), s.Weight, slices.IsSorted(s.IDs))
	}
	if n := s.Users(); n < 6000 || n > 10000 {
		t.Errorf("the sample stands for %d users, want about 8,000", n)
	}
	// The 4 ranges' sizes: each about 2,000 users.
	cuts := append(s.Cuts(4), "~")
	var sizes []int
	for i, cut := range cuts {
		after := ""
		if i > 0 {
			after = cuts[i-1]
		}
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM `+schema+`.users WHERE tenant = 't0' AND user_id > $1 AND user_id <= $2`,
			after, cut).Scan(&n); err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, n)
	}
	if len(sizes) != 4 || slices.Min(sizes) < 1000 || slices.Max(sizes) > 3000 {
		t.Errorf("ranges of %v users, want 4 of about 2,000", sizes)
	}
}
