package postgres

import (
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/userport/userport/internal/testutil"
)

// TestAnalyzeUsers checks when AnalyzeUsers analyzes and vacuums the users:
// a table never analyzed always, one whose statistics are fresh not, one with
// a tenth of its rows changed since (autovacuum's rule) again, and with
// vacuum always, VACUUM included.
func TestAnalyzeUsers(t *testing.T) {
	ctx := t.Context()
	conn, db, _ := explainDB(t)
	counts := func() (analyzed, vacuumed int64) {
		t.Helper()
		if err := conn.QueryRow(ctx, `SELECT analyze_count, vacuum_count FROM pg_stat_user_tables
			WHERE relid = 'users'::regclass`).Scan(&analyzed, &vacuumed); err != nil {
			t.Fatal(err)
		}
		return analyzed, vacuumed
	}
	insert := func(from, to int) {
		t.Helper()
		if _, err := conn.Exec(ctx, `INSERT INTO users (tenant, user_id, connection_id, doc)
			SELECT 'a', 'auth0|' || i, 'con_1', '{}' FROM generate_series($1::int, $2::int) i`, from, to-1); err != nil {
			t.Fatal(err)
		}
		// The inserts' counts reach the statistics that the rule reads once
		// this connection is idle.
		if _, err := conn.Exec(ctx, `SELECT pg_stat_force_next_flush()`); err != nil {
			t.Fatal(err)
		}
		conn.Exec(ctx, `SELECT 1`)
	}
	analyze := func(vacuum bool, wantAnalyzed, wantVacuumed int64) {
		t.Helper()
		if err := db.AnalyzeUsers(ctx, vacuum); err != nil {
			t.Fatalf("AnalyzeUsers(%v): %v", vacuum, err)
		}
		if a, v := counts(); a != wantAnalyzed || v != wantVacuumed {
			t.Errorf("after AnalyzeUsers(%v): analyzed %d and vacuumed %d times, want %d and %d", vacuum, a, v, wantAnalyzed, wantVacuumed)
		}
	}
	insert(0, 1000)
	analyze(false, 1, 0) // never analyzed
	analyze(false, 1, 0) // fresh
	insert(1000, 1040)   // 40 < 50 + 10 % of 1000
	waitModified(t, conn, 40)
	analyze(false, 1, 0)
	insert(1040, 1200) // 200 >= 150
	waitModified(t, conn, 200)
	analyze(false, 2, 0)
	analyze(true, 3, 1) // whatever the rule
}

// waitModified waits until the statistics count n rows of users changed
// since the last analysis.
func waitModified(t *testing.T, conn *pgx.Conn, n int64) {
	t.Helper()
	testutil.WaitFor(t, 15*time.Second, fmt.Sprintf("n_mod_since_analyze >= %d", n), func() (string, bool) {
		var got int64
		if err := conn.QueryRow(t.Context(), `SELECT n_mod_since_analyze FROM pg_stat_user_tables
			WHERE relid = 'users'::regclass`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("n_mod_since_analyze = %d", got), got >= n
	})
}
