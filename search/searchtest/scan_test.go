package searchtest_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/userport/userport/search"
)

// connections are the fixture's connections, by id.
var connections = map[string]string{
	"con_0000000000000000": "Username-Password-Authentication",
	"con_0000000000000001": "legacy-db",
}

func TestScanSQLite(t *testing.T) {
	t.Parallel()
	db := openSQLite(t)
	testScan(t, newFixture(t, db), db)
}

func TestScanPostgres(t *testing.T) {
	t.Parallel()
	db := openPostgres(t)
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
			var got []string
			read := 0
			err := search.Scan(t.Context(), st, search.ScanRequest{Tenant: tenant, Query: parsed, ConnectionID: conn, PageSize: 300},
				func(doc []byte, match bool) bool {
					read++
					if match {
						got = append(got, ids([][]byte{doc})...)
					}
					return true
				})
			if err != nil {
				t.Fatalf("Scan(%q, %q): %v", q.q, conn, err)
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s (connection %q): %d matches, want %d; first differences: %v", q.q, conn, len(got), len(want), diff(got, want))
			}
			if conn == "" && read < len(f.users) {
				indexed++
			}
		}
	}
	if indexed < 20 {
		t.Errorf("%d queries read fewer users than the tenant's through an index, want at least 20", indexed)
	}
	// Without a query, every user (of the connection), in user_id order;
	// and Scan stops when fn says so.
	var all []string
	if err := search.Scan(t.Context(), st, search.ScanRequest{Tenant: tenant, ConnectionID: "con_0000000000000001"}, func(doc []byte, match bool) bool {
		if !match {
			t.Fatal("a user is not a match of no query")
		}
		all = append(all, ids([][]byte{doc})...)
		return len(all) < 700
	}); err != nil {
		t.Fatal(err)
	}
	if len(all) != 700 || !slices.IsSorted(all) || !strings.HasPrefix(all[0], "auth0|") {
		t.Errorf("no query: %d users (sorted %v), want the first 700 in user_id order", len(all), slices.IsSorted(all))
	}
}

// TestScanReadsOnePageOfOverlappingRanges checks that a user found in
// several ranges of a plan is one match, and that an unknown connection
// reads nothing.
func TestScanReadsOnePageOfOverlappingRanges(t *testing.T) {
	t.Parallel()
	db := openSQLite(t)
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
		matches, reads := 0, 0
		if err := search.Scan(t.Context(), db, search.ScanRequest{Tenant: tenant, Query: q, ConnectionID: tt.connection}, func(doc []byte, match bool) bool {
			reads++
			if match {
				matches++
			}
			return true
		}); err != nil {
			t.Fatal(err)
		}
		if matches != tt.matches || reads > tt.maxReads {
			t.Errorf("%s: %d matches in %d reads, want %d in at most %d", tt.q, matches, reads, tt.matches, tt.maxReads)
		}
	}
}
