package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/userport/userport"
)

// userLookups are the statements of usersql.go that look users up, with
// arguments of the shape the store passes. Statements that only insert are
// not here: they scan nothing.
var userLookups = []struct {
	name  string
	index string // the index of users the lookup must use ("a|b": either; both pin the email)
	sql   string
	args  []any
}{
	{"FindUser", "users_pkey", sqlFindUser, []any{"t0", "auth0|00005"}},
	{"ListUsers", "users_pkey", sqlListUsers, []any{"t0", 50, 100}},
	{"ListUsers of a connection", "users_connection", sqlListConnUsers, []any{"t0", "con_1", 50, 100}},
	{"CountUsers", "users_pkey", sqlCountUsers, []any{"t0"}},
	{"CountUsers of a connection", "users_connection", sqlCountConnUsers, []any{"t0", "con_1"}},
	{"UpdateUser", "users_pkey", sqlUpdateUser, []any{"t0", "auth0|00005", "con_1", "a@x", "", "", nil, nil, "{}"}},
	{"DeleteUser", "users_pkey", sqlDeleteUser, []any{"t0", "auth0|00005"}},
	{"ReadUsers", "users_pkey", sqlReadUsers, []any{"t0", "auth0|00005", 1000}},
	{"ReadUsers of a connection", "users_connection", sqlReadConnUsers, []any{"t0", "con_1", "auth0|00005", 1000}},
	{"FindUsersByEmail", "users_search_email", sqlUsersByEmail, []any{"t0", "user4@example.com"}},
	{"PurgeConnection", "users_connection", sqlPurgeConnUsers, []any{"t0", "con_1", 1000}},
	{"FindCustomPasswordHash", "users_pkey", sqlFindCustomPasswordHash, []any{"t0", "auth0|00005"}},
	{"import: rows by user_id", "users_pkey", sqlImportRowsByID, []any{"t0", "{auth0|00005,auth0|00007}"}},
	{"import: rows by email", "users_email|users_search_email", sqlImportRowsByEmail, []any{"t0", "con_1", "{user5@example.com,user7@example.com}"}},
	{"import: update", "users_pkey", sqlImportUpdate, []any{"t0", "auth0|00005", "con_1", "a@x", "", "", nil, nil, "{}", "", "job_1"}},
	{"import: update all", "users_pkey", sqlImportUpdateAll, []any{"t0", "{auth0|00005,auth0|00007}", "{con_1,con_1}", "{a@x,b@x}",
		`{"",""}`, `{"",""}`, nil, nil, `{"{}","{}"}`, `{"",""}`, "job_1"}},
	{"import: rows by username", "users_username", sqlImportRowsByUsername, []any{"t0", "con_1", "{user5,user7}"}},
	{"ReadChanges", "users_changes", sqlReadChanges, []any{"t0", "3", "900000", "3", "", 1000}},
	{"ReadChanges, next page", "users_changes", sqlReadChanges, []any{"t0", "3", "900000", "500", "auth0|00005", 1000}},
	{"ReadChanges of a connection", "users_changes", sqlReadConnChanges, []any{"t0", "3", "900000", "500", "auth0|00005", 1000, "con_1"}},
}

// TestUserLookupsUseIndexes explains every user lookup as a generic plan of
// a prepared statement (what pgx's statement cache runs after a few
// executions) with sequential scans disabled, and fails on any that still
// scans the users table (one that no index serves), or that does not use the
// index meant for it (an index that serves only part of its condition).
func TestUserLookupsUseIndexes(t *testing.T) {
	conn, db, _ := explainDB(t)
	createUsers(t, db, 2000)
	execAll(t, conn, `ANALYZE users`, `SET enable_seqscan = off`, `SET plan_cache_mode = force_generic_plan`)
	for _, l := range append(userLookups, searchLookups()...) {
		t.Run(l.name, func(t *testing.T) {
			root, plan := preparedPlan(t, conn, l.sql, l.args...)
			seq, indexes := scans(root, "users")
			if seq > 0 || !slices.ContainsFunc(strings.Split(l.index, "|"), func(ix string) bool { return slices.Contains(indexes, ix) }) {
				t.Errorf("%d sequential scans of users and indexes %q, want none and %s:\n%s\nplan: %s", seq, indexes, l.index, l.sql, plan)
			}
		})
	}
}

// TestChangeQueriesUseIndexes explains the tombstone statements as
// TestUserLookupsUseIndexes does the user lookups: an incremental export's
// page of tombstones reads tombstones_changes and looks each user up by its
// key (no scan of users or tombstones); the cleanup's purge reads
// tombstones_deleted and deletes by key; a delete writes its tombstone by
// key; the cursor check reads a tenant's horizon by its key (no scan of
// change_horizons, which the purge fills in with a row a tenant).
func TestChangeQueriesUseIndexes(t *testing.T) {
	conn, db, _ := explainDB(t)
	createUsers(t, db, 2000)
	for i := 0; i < 2000; i += 3 {
		if err := db.DeleteUser(t.Context(), fmt.Sprint("t", i%2), fmt.Sprintf("auth0|%05d", i)); err != nil {
			t.Fatal(err)
		}
	}
	purgeBefore := time.Now()
	// Horizons of many tenants, as a purge leaves them.
	execAll(t, conn, `INSERT INTO change_horizons (tenant, mark) SELECT 'h' || i, i::text::xid8 FROM generate_series(1, 2000) AS i`)
	execAll(t, conn, `ANALYZE users`, `ANALYZE tombstones`, `ANALYZE change_horizons`, `SET enable_seqscan = off`, `SET plan_cache_mode = force_generic_plan`)
	for _, l := range []struct {
		name    string
		indexes []string // every index the plan must read
		sql     string
		args    []any
	}{
		{"ReadTombstones", []string{"tombstones_changes", "users_pkey"}, sqlReadTombstones, []any{"t0", "3", "900000", "3", "", 1000, ""}},
		{"ReadTombstones of a connection, next page", []string{"tombstones_changes", "users_pkey"}, sqlReadTombstones,
			[]any{"t0", "3", "900000", "500", "auth0|00005", 1000, "con_1"}},
		{"DeleteUser", []string{"users_pkey"}, sqlDeleteUser, []any{"t0", "auth0|00005"}},
		{"PurgeTombstones", []string{"tombstones_deleted", "tombstones_pkey"}, sqlPurgeTombstones, []any{&purgeBefore, 5000}},
		{"TombstoneHorizon", []string{"change_horizons_pkey"}, sqlHorizon, []any{"h7"}},
	} {
		t.Run(l.name, func(t *testing.T) {
			root, plan := preparedPlan(t, conn, l.sql, l.args...)
			seqUsers, indexes := scans(root, "users")
			seqTombstones, _ := scans(root, "tombstones")
			seqHorizons, _ := scans(root, "change_horizons")
			for _, ix := range l.indexes {
				if !slices.Contains(indexes, ix) {
					t.Errorf("plan does not read %s", ix)
				}
			}
			if seqUsers+seqTombstones+seqHorizons > 0 || t.Failed() {
				t.Errorf("%d sequential scans of users, %d of tombstones, %d of change_horizons, indexes %q:\n%s\nplan: %s",
					seqUsers, seqTombstones, seqHorizons, indexes, l.sql, plan)
			}
		})
	}
}

// createUsers writes n users through db: user_ids auth0|00000 on, of
// tenants t0 and t1 and connections con_0 to con_2 in turn.
func createUsers(t *testing.T, db *DB, n int) {
	t.Helper()
	users := make([]*userport.User, n)
	for i := range users {
		users[i] = &userport.User{Tenant: fmt.Sprint("t", i%2), UserID: fmt.Sprintf("auth0|%05d", i),
			ConnectionID: fmt.Sprint("con_", i%3), Email: fmt.Sprintf("user%d@example.com", i), Username: fmt.Sprint("user", i),
			CreatedAt: time.Now(), Doc: []byte(`{}`)}
	}
	if err := db.CreateUsers(t.Context(), users...); err != nil {
		t.Fatal(err)
	}
}

// preparedPlan explains query, prepared, executed with args: with
// plan_cache_mode = force_generic_plan set on conn, the generic plan that
// pgx's statement cache runs after a few executions. It returns the plan's
// root and the plan as EXPLAIN (FORMAT JSON) wrote it.
func preparedPlan(t *testing.T, conn *pgx.Conn, query string, args ...any) (planNode, []byte) {
	t.Helper()
	ctx := t.Context()
	if _, err := conn.Exec(ctx, `PREPARE explained AS `+query); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `DEALLOCATE explained`)
	literals := make([]string, len(args))
	for i, a := range args {
		literals[i] = literal(a)
	}
	var plan []byte
	if err := conn.QueryRow(ctx, `EXPLAIN (FORMAT JSON) EXECUTE explained(`+strings.Join(literals, ", ")+`)`).Scan(&plan); err != nil {
		t.Fatalf("explain: %v", err)
	}
	var plans []struct{ Plan planNode }
	if err := json.Unmarshal(plan, &plans); err != nil || len(plans) != 1 {
		t.Fatalf("plan %s: %v", plan, err)
	}
	return plans[0].Plan, plan
}

// explainDB opens the store in a new schema of USERPORT_TEST_DATABASE_URL
// (skipping without it), and a connection of its own to explain queries,
// its search_path set to that schema; both close, and the schema goes,
// when the test ends.
func explainDB(t *testing.T) (*pgx.Conn, *DB, string) {
	conn, url, schema := schemaConn(t)
	db, err := Open(t.Context(), url, Options{Schema: schema})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return conn, db, schema
}

// schemaConn creates a new schema of USERPORT_TEST_DATABASE_URL (skipping
// without it) and returns a connection whose search_path is that schema,
// the URL and the schema's name; the connection closes, and the schema
// goes, when the test ends.
func schemaConn(t *testing.T) (*pgx.Conn, string, string) {
	url := os.Getenv("USERPORT_TEST_DATABASE_URL")
	if url == "" {
		t.Skip("USERPORT_TEST_DATABASE_URL is unset: set it to a PostgreSQL URL to run the postgres store tests")
	}
	ctx := t.Context()
	schema := "test_" + strings.ToLower(userport.RandomString(12))
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.WithoutCancel(ctx)) })
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Exec(context.WithoutCancel(ctx), `DROP SCHEMA `+schema+` CASCADE`) })
	execAll(t, conn, `SET search_path = `+schema)
	return conn, url, schema
}

// execAll runs each statement on conn, in order; the test stops at the
// first that fails.
func execAll(t *testing.T, conn *pgx.Conn, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := conn.Exec(t.Context(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// planNode is a node of EXPLAIN (FORMAT JSON).
type planNode struct {
	NodeType string     `json:"Node Type"`
	Relation string     `json:"Relation Name"`
	Index    string     `json:"Index Name"`
	Plans    []planNode `json:"Plans"`
}

// scans counts the sequential scans of table in the plan n, and lists the
// indexes it scans (a Bitmap Index Scan names its index, not its table).
func scans(n planNode, table string) (seq int, indexes []string) {
	if n.Relation == table && n.NodeType == "Seq Scan" {
		seq++
	} else if n.Index != "" {
		indexes = append(indexes, n.Index)
	}
	for _, c := range n.Plans {
		s, i := scans(c, table)
		seq, indexes = seq+s, append(indexes, i...)
	}
	return seq, indexes
}

// literal writes a test argument as an SQL literal.
func literal(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case string:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case *time.Time:
		return "'" + v.Format(time.RFC3339Nano) + "'"
	default:
		return fmt.Sprint(v)
	}
}

// searchLookups are the page statements of ScanUserKeys, for every key and
// shape, each with the index of its key.
func searchLookups() (out []struct {
	name  string
	index string
	sql   string
	args  []any
}) {
	values := map[userport.UserKey]string{userport.KeyUserID: "auth0|00005", userport.KeyEmail: "user5@example.com",
		userport.KeyConnection: "con_1", userport.KeyCreatedAt: "2020-01-01T00:00:00.000Z", userport.KeyLastLogin: "2020-01-01T00:00:00.000Z"}
	for key, k := range searchKeys {
		for _, next := range []bool{false, true} {
			for _, hasTo := range []bool{false, true} {
				args := []any{"t0", values[key]}
				if next && key != userport.KeyUserID {
					args = append(args, "auth0|00005")
				}
				if hasTo {
					args = append(args, values[key])
				}
				out = append(out, struct {
					name  string
					index string
					sql   string
					args  []any
				}{fmt.Sprintf("ScanUserKeys key %d next=%v to=%v", key, next, hasTo), k.index,
					sqlSearchPage(key, next, hasTo), append(args, 100)})
			}
		}
	}
	return out
}
