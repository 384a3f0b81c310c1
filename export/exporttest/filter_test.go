package exporttest_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/userport/userport"
	"github.com/userport/userport/export"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/internal/testutil/pgtest"
	"github.com/userport/userport/search"
	"github.com/userport/userport/seed"
)

const tenant = "dev"

// The fixture's connections.
const (
	connUPA    = "con_0000000000000000" // Username-Password-Authentication, 3000 users from 2019
	connLegacy = "con_0000000000000001" // legacy-db, 1000 users from mid-2021
)

// seedStore creates the fixture's connections and users in st.
func seedStore(t testing.TB, st userport.Store, upa, legacy int) {
	t.Helper()
	for i, c := range []struct {
		name  string
		n     int
		start time.Time
	}{
		{"Username-Password-Authentication", upa, time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"legacy-db", legacy, time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC)},
	} {
		conn := &userport.Connection{Tenant: tenant, ID: fmt.Sprintf("con_%016d", i), Name: c.name, Strategy: "auth0"}
		if err := st.CreateConnection(context.Background(), conn); err != nil {
			t.Fatal(err)
		}
		g := seed.New(int64(i+1), tenant, conn, c.start)
		for done := 0; done < c.n; {
			users := make([]*userport.User, min(5000, c.n-done))
			g.Fill(users)
			if err := st.CreateUsers(context.Background(), users...); err != nil {
				t.Fatal(err)
			}
			done += len(users)
		}
	}
}

// countingStore counts the users an export reads.
type countingStore struct {
	export.Store
	read int
}

func (c *countingStore) ScanUserKeys(ctx context.Context, s userport.UserKeyScan, p *userport.UserPage) error {
	err := c.Store.ScanUserKeys(ctx, s, p)
	c.read += p.Len()
	return err
}

func (c *countingStore) ReadUsers(ctx context.Context, s userport.UserScan, p *userport.UserPage) error {
	err := c.Store.ReadUsers(ctx, s, p)
	c.read += p.Len()
	return err
}

// exportLines runs job on st and returns the file's lines (without a CSV
// header), the result, the progress reported and the users read.
func exportLines(t testing.TB, st export.Store, job *userport.Job) ([]string, export.Result, int64, int) {
	t.Helper()
	cs := &countingStore{Store: st}
	var users export.Store = cs
	if job.ChangesSince != "" {
		users = st // reads changes, which countingStore does not count
	}
	var buf bytes.Buffer
	var progress int64
	res, err := (&export.Exporter{Users: users, PageSize: 250}).Export(context.Background(), job, &buf, func(n int64) { progress += n })
	if err != nil {
		t.Fatalf("export %+v: %v", job, err)
	}
	lines := strings.Split(strings.TrimSuffix(string(testutil.Gunzip(t, buf.Bytes())), "\n"), "\n")
	if job.Format == userport.FormatCSV {
		lines = lines[1:]
	}
	if len(lines) == 1 && lines[0] == "" {
		lines = nil
	}
	return lines, res, progress, cs.read
}

// queries returns the filters of the test; some name values of users of
// the full export.
func queries(all []string) []string {
	a, b, c := all[17], all[1234], all[3500]
	str := func(line, path string) string { return gjson.Get(line, path).Str }
	emailLocal := strings.Split(str(a, "email"), "@")[0]
	return []string{
		`email:"` + str(a, "email") + `"`,
		`email:` + strings.ToUpper(str(b, "email")),
		`email:` + emailLocal[:3] + `*`,
		`email:*@gmail.com`,
		`email:("` + str(a, "email") + `" OR "` + str(c, "email") + `")`,
		`user_id:"` + str(b, "user_id") + `"`,
		`user_id:` + str(b, "user_id")[:14] + `*`,
		`user_id:[` + str(a, "user_id") + ` TO ` + str(b, "user_id") + `}`,
		`connection:legacy-db`,
		`identities.connection:"Username-Password-Authentication" AND app_metadata.plan:pro`,
		`identities.connection:"nope"`,
		`created_at:[2021-06-01 TO *]`,
		`created_at:[* TO 2019-01-01T00:10]`,
		`created_at:{2019-01-01T00:10 TO 2019-01-01T00:20}`,
		`last_login:[2019-05 TO 2019-06}`,
		`last_login:[2019-03-01 TO 2019-03-31] AND NOT blocked:true`,
		`NOT _exists_:last_login`,
		`logins_count:[100 TO *]`,
		`logins_count:0 OR NOT _exists_:logins_count`,
		`email_verified:false`,
		`blocked:true`,
		`app_metadata.plan:(free OR starter)`,
		`app_metadata.roles:analyst`,
		`app_metadata.flags.beta:true`,
		`user_metadata.preferences.language:de-AT`,
		`user_metadata.consent.given:true AND app_metadata.plan:free`,
		`given_name:j*`,
		`nickname:*ang*`,
		`email:*@gmail.com AND NOT email_verified:true`,
		`(app_metadata.plan:pro OR app_metadata.plan:enterprise) AND logins_count:[50 TO *]`,
		`-app_metadata.plan:free +identities.connection:"legacy-db"`,
		`email:"` + str(a, "email") + `" OR last_login:[2019-03-01 TO 2019-03-02}`,
		`email:"` + str(a, "email") + `" OR user_id:"` + str(a, "user_id") + `" OR created_at:[2021-06-01 TO 2021-06-01T00:03]`,
	}
}

func TestFilteredExportsSQLite(t *testing.T) {
	t.Parallel()
	db := testutil.OpenSQLite(t)
	seedStore(t, db, 3000, 1000)
	testFilteredExports(t, db)
}

func TestFilteredExportsPostgres(t *testing.T) {
	t.Parallel()
	db := pgtest.Open(t)
	seedStore(t, db, 3000, 1000)
	testFilteredExports(t, db)
}

// testFilteredExports runs each query as a filtered export, of the tenant
// and of each connection, with and without a limit, and checks its lines,
// one by one, against the full export's lines that match the query (the
// test's own search.Parse and Match on them): the same lines, each once.
// Queries with an index plan read fewer users than the tenant has.
func testFilteredExports(t *testing.T, st export.Store) {
	full := map[string][]string{}
	for _, conn := range []string{"", connUPA, connLegacy} {
		full[conn], _, _, _ = exportLines(t, st, &userport.Job{Tenant: tenant, Format: userport.FormatJSON, ConnectionID: conn})
	}
	if len(full[""]) != 4000 {
		t.Fatalf("the full export has %d users", len(full[""]))
	}
	indexed, discriminating := 0, 0
	for _, q := range queries(full[""]) {
		parsed, err := search.Parse(q)
		if err != nil {
			t.Fatalf("Parse(%q): %v", q, err)
		}
		for _, conn := range []string{"", connUPA, connLegacy} {
			var want []string
			for _, line := range full[conn] {
				if parsed.Match([]byte(line)) {
					want = append(want, line)
				}
			}
			if conn == "" && len(want) > 0 && len(want) < len(full[""]) {
				discriminating++
			}
			job := &userport.Job{Tenant: tenant, Format: userport.FormatJSON, ConnectionID: conn, Query: q}
			got, res, progress, read := exportLines(t, st, job)
			if progress != int64(read) {
				t.Errorf("%s (%q): progress %d, want the %d users read", q, conn, progress, read)
			}
			if conn == "" && read < len(full[""]) {
				indexed++
			}
			sortByUserID(got)
			if res.Rows != int64(len(got)) || !slices.Equal(got, want) {
				t.Errorf("%s (%q): %d lines (rows %d), want %d; first differences: %v", q, conn, len(got), res.Rows, len(want), diff(got, want))
			}
			// A limit cuts the same matches short.
			if len(want) > 3 {
				job.Limit = 3
				got, res, _, _ := exportLines(t, st, job)
				if len(got) != 3 || res.Rows != 3 || !subset(got, want) {
					t.Errorf("%s (%q) limit 3: %d lines, rows %d", q, conn, len(got), res.Rows)
				}
			}
		}
	}
	if discriminating < 20 || indexed < 12 {
		t.Errorf("%d queries select some but not all users (want >= 20), %d read an index (want >= 12)", discriminating, indexed)
	}
	// A CSV export's rows are the full CSV export's rows of the same users.
	fields := []userport.Field{{Name: "user_id"}, {Name: "email"}, {Name: "created_at"}, {Name: "app_metadata.plan", ExportAs: "plan"}}
	fullCSV, _, _, _ := exportLines(t, st, &userport.Job{Tenant: tenant, Format: userport.FormatCSV, Fields: fields})
	q := `app_metadata.plan:(pro OR free) AND created_at:[2019-01-01T00:10 TO 2019-01-01T00:30]`
	parsed, _ := search.Parse(q)
	var want []string
	for i, line := range full[""] {
		if parsed.Match([]byte(line)) {
			want = append(want, fullCSV[i])
		}
	}
	got, res, _, _ := exportLines(t, st, &userport.Job{Tenant: tenant, Format: userport.FormatCSV, Fields: fields, Query: q})
	slices.Sort(got)
	if !slices.Equal(got, want) || len(want) == 0 || !slices.Equal(res.FieldCounts, []int64{int64(len(want)), int64(len(want)), int64(len(want)), int64(len(want))}) {
		t.Errorf("CSV %s: %d rows, want %d; counts %v", q, len(got), len(want), res.FieldCounts)
	}
}

// sortByUserID sorts NDJSON lines by their user_id.
func sortByUserID(lines []string) {
	slices.SortFunc(lines, func(a, b string) int {
		return strings.Compare(gjson.Get(a, "user_id").Str, gjson.Get(b, "user_id").Str)
	})
}

// subset reports whether every line of got is in want, once.
func subset(got, want []string) bool {
	seen := map[string]bool{}
	for _, g := range got {
		if seen[g] || !slices.Contains(want, g) {
			return false
		}
		seen[g] = true
	}
	return true
}

// diff lists a few user_ids in one list and not the other.
func diff(got, want []string) []string {
	var out []string
	for _, g := range got {
		if !slices.Contains(want, g) && len(out) < 3 {
			out = append(out, "+"+gjson.Get(g, "user_id").Str)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) && len(out) < 6 {
			out = append(out, "-"+gjson.Get(w, "user_id").Str)
		}
	}
	return out
}
