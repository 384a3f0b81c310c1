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
	{"UserCuts", "users_pkey", sqlUserCut, []any{"t0", "auth0|00005", 100}},
	{"UserCuts of a connection", "users_connection", sqlConnUserCut, []any{"t0", "con_1", "auth0|00005", 100}},
	{"FindUsersByEmail", "users_by_email", sqlUsersByEmail, []any{"t0", "user4@example.com"}},
	{"PurgeConnection", "users_connection", sqlPurgeConnUsers, []any{"t0", "con_1", 1000}},
	{"FindCustomPasswordHash", "users_pkey", sqlFindCustomPasswordHash, []any{"t0", "auth0|00005"}},
	{"import: match by user_id", "users_pkey", sqlImportMatchByID, []any{"t0", "auth0|00005"}},
	{"import: match by email", "users_email|users_by_email", sqlImportMatchByEmail, []any{"t0", "con_1", "user5@example.com"}},
	{"import: update", "users_pkey", sqlImportUpdate, []any{"t0", "auth0|00005", "con_1", "a@x", "", "", nil, nil, "{}", "", "job_1"}},
	{"import: probe user_id", "users_pkey", sqlProbeUserID, []any{"t0", "auth0|00005"}},
	{"import: probe email", "users_email|users_by_email", sqlProbeEmail, []any{"t0", "con_1", "user5@example.com", "auth0|00005"}},
	{"import: probe username", "users_username", sqlProbeUsername, []any{"t0", "con_1", "user5", "auth0|00005"}},
}

// TestUserLookupsUseIndexes explains every user lookup as a generic plan of
// a prepared statement (what pgx's statement cache runs after a few
// executions) with sequential scans disabled, and fails on any that still
// scans the users table (one that no index serves), or that does not use the
// index meant for it (an index that serves only part of its condition).
func TestUserLookupsUseIndexes(t *testing.T) {
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
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `DROP SCHEMA `+schema+` CASCADE`)
	db, err := Open(ctx, url, Options{Schema: schema})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	var users []*userport.User
	for i := range 2000 {
		users = append(users, &userport.User{Tenant: fmt.Sprint("t", i%2), UserID: fmt.Sprintf("auth0|%05d", i),
			ConnectionID: fmt.Sprint("con_", i%3), Email: fmt.Sprintf("user%d@example.com", i), Username: fmt.Sprint("user", i),
			CreatedAt: time.Now(), Doc: []byte(`{}`)})
	}
	if err := db.CreateUsers(ctx, users...); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`SET search_path = ` + schema, `ANALYZE users`, `SET enable_seqscan = off`,
		`SET plan_cache_mode = force_generic_plan`} {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	for _, l := range userLookups {
		t.Run(l.name, func(t *testing.T) {
			if _, err := conn.Exec(ctx, `PREPARE lookup AS `+l.sql); err != nil {
				t.Fatalf("prepare: %v", err)
			}
			defer conn.Exec(context.WithoutCancel(ctx), `DEALLOCATE lookup`)
			literals := make([]string, len(l.args))
			for i, a := range l.args {
				literals[i] = literal(a)
			}
			var plan []byte
			if err := conn.QueryRow(ctx, `EXPLAIN (FORMAT JSON) EXECUTE lookup(`+strings.Join(literals, ", ")+`)`).Scan(&plan); err != nil {
				t.Fatalf("explain: %v", err)
			}
			var plans []struct{ Plan planNode }
			if err := json.Unmarshal(plan, &plans); err != nil || len(plans) != 1 {
				t.Fatalf("plan %s: %v", plan, err)
			}
			seq, indexes := scans(plans[0].Plan, "users")
			if seq > 0 || !slices.ContainsFunc(strings.Split(l.index, "|"), func(ix string) bool { return slices.Contains(indexes, ix) }) {
				t.Errorf("%d sequential scans of users and indexes %q, want none and %s:\n%s\nplan: %s", seq, indexes, l.index, l.sql, plan)
			}
		})
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
	default:
		return fmt.Sprint(v)
	}
}
