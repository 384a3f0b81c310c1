package searchtest_test

import (
	"slices"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/internal/testutil/pgtest"

	"github.com/userport/userport/search"
)

// connections are the fixture's connections, by id.
var connections = map[string]string{
	"con_0000000000000000": "Username-Password-Authentication",
	"con_0000000000000001": "legacy-db",
}

func TestScanSQLite(t *testing.T) {
	t.Parallel()
	db := testutil.OpenSQLite(t)
	testScan(t, newFixture(t, db), db)
}

func TestScanPostgres(t *testing.T) {
	t.Parallel()
	db := pgtest.Open(t)
	testScan(t, newFixture(t, db), db)
}

// testScan runs every query of the table through Scan, of the whole
// tenant and of each connection, and checks its matches against the plain
// filter's: every matching user once, no other. Queries with an index plan
// read fewer candidates than the tenant's users.
func testScan(t *testing.T, f *fixture, st search.Scanner) {
	indexed := 0
	for _, q := range queries(f) {
		parsed, err := search.Parse(q.q)
		if err != nil {
			t.Fatalf("Parse(%q): %v", q.q, err)
		}
		for _, conn := range []string{"", "con_0000000000000000", "con_0000000000000001"} {
			var want []string
			for _, u := range f.users {
				if q.want(u) && (conn == "" || u.identity(0, "connection") == connections[conn]) {
					want = append(want, u.id)
				}
			}
			got, read := scan(t, st, search.ScanRequest{Tenant: tenant, Query: parsed, ConnectionID: conn, PageSize: 300})
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s (connection %q): %d matches, want %d; first differences: %v", q.q, conn, len(got), len(want), diff(got, want))
			}
			if conn == "" && read < len(f.users) {
				indexed++
			}
			// Unfiltered, the caller filters the pages of a scan of every
			// user (Matches.Filter): the same matches.
			got, _ = scan(t, st, search.ScanRequest{Tenant: tenant, Query: parsed, ConnectionID: conn, PageSize: 300, Unfiltered: true})
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s (connection %q), unfiltered: %d matches, want %d; first differences: %v", q.q, conn, len(got), len(want), diff(got, want))
			}
		}
	}
	if indexed < 20 {
		t.Errorf("%d queries read fewer users than the tenant's through an index, want at least 20", indexed)
	}
	// Without a query, every user (of the connection), in user_id order.
	all, read := scan(t, st, search.ScanRequest{Tenant: tenant, ConnectionID: "con_0000000000000001"})
	if len(all) != 1000 || read != 1000 || !slices.IsSorted(all) {
		t.Errorf("no query: %d users of %d read (sorted %v), want the connection's 1000 in user_id order", len(all), read, slices.IsSorted(all))
	}
}

// scan reads every match of r and returns their user_ids, and how many
// candidates it read: a page Next leaves unfiltered (r.Unfiltered and no
// index plan) is filtered with Matches.Filter.
func scan(t *testing.T, st search.Scanner, r search.ScanRequest) (ids []string, read int) {
	t.Helper()
	m, err := search.NewMatches(t.Context(), st, r)
	if err != nil {
		t.Fatalf("NewMatches(%+v): %v", r, err)
	}
	var page userport.UserPage
	for {
		n, err := m.Next(t.Context(), &page)
		if err != nil {
			t.Fatalf("Next(%+v): %v", r, err)
		}
		if n == 0 {
			if page.Len() != 0 {
				t.Fatalf("the last page has %d users", page.Len())
			}
			return ids, read
		}
		if page.Len() > n {
			t.Fatalf("%d matches of %d candidates", page.Len(), n)
		}
		read += n
		if r.Unfiltered && m.Unfiltered() {
			m.Filter(&page)
		}
		for i := range page.Len() {
			ids = append(ids, gjson.GetBytes(page.Doc(i), "user_id").Str)
		}
	}
}

// TestScanReadsOnePageOfOverlappingRanges checks that a user found in
// several ranges of a plan is one match, and that an unknown connection
// reads nothing.
func TestScanReadsOnePageOfOverlappingRanges(t *testing.T) {
	t.Parallel()
	db := testutil.OpenSQLite(t)
	f := newFixture(t, db)
	a := f.users[17]
	for _, tt := range []struct {
		q          string
		matches    int
		maxReads   int
		connection string
	}{
		{`email:"` + a.str("email") + `" OR user_id:"` + a.id + `" OR user_id:` + a.id[:len(a.id)-1] + `*`, 1, 20, ""},
		{`identities.connection:"nope"`, 0, 0, ""},
		{`identities.connection:"legacy-db"`, 0, 0, "con_0000000000000000"},
	} {
		q, err := search.Parse(tt.q)
		if err != nil {
			t.Fatal(err)
		}
		got, reads := scan(t, db, search.ScanRequest{Tenant: tenant, Query: q, ConnectionID: tt.connection})
		matches := len(got)
		if matches != tt.matches || reads > tt.maxReads {
			t.Errorf("%s: %d matches in %d reads, want %d in at most %d", tt.q, matches, reads, tt.matches, tt.maxReads)
		}
	}
}
