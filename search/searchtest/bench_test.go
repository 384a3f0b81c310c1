package searchtest_test

import (
	"os"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/search"
	"github.com/userport/userport/sqlite"
)

// benchDBEnv names a seeded SQLite file for the search benchmarks, e.g. the
// userport.db of `userport seed --users 1000000 --data-dir DIR`.
const benchDBEnv = "USERPORT_BENCH_SQLITE"

// BenchmarkSearchSQLite runs GET /users?q= searches (parse and run, without
// HTTP) on the users of the file $USERPORT_BENCH_SQLITE: the common ones
// read an index range; the last reads the whole tenant, for comparison.
func BenchmarkSearchSQLite(b *testing.B) {
	path := os.Getenv(benchDBEnv)
	if path == "" {
		b.Skip(benchDBEnv + " is unset: set it to a seeded userport.db (userport seed --users 1000000)")
	}
	db, err := sqlite.Open(b.Context(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	// A user from the middle of the email index.
	var page userport.UserPage
	if err := db.ScanUserKeys(b.Context(), userport.UserKeyScan{Tenant: userport.DefaultTenant, Key: userport.KeyEmail,
		From: "m", Limit: 1}, &page); err != nil || page.Len() == 0 {
		b.Fatalf("find a user: %v", err)
	}
	email, id := page.LastKey, page.Last
	for _, bc := range []struct{ name, q string }{
		{"email", `email:"` + email + `"`},
		{"user_id", `user_id:"` + id + `"`},
		{"email_prefix", `email:` + email[:5] + `*`},
		{"connection_page", `identities.connection:"Username-Password-Authentication"`},
		{"created_at_range", `created_at:[2020-01-05 TO 2020-01-05T01}`},
		{"last_login_range", `last_login:[2020-04-18 TO 2020-04-18T01}`},
		{"scan_metadata", `app_metadata.plan:enterprise AND user_metadata.preferences.language:xx`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				q, err := search.Parse(bc.q)
				if err != nil {
					b.Fatal(err)
				}
				res, err := search.Run(b.Context(), db, search.Request{Tenant: userport.DefaultTenant, Query: q, Limit: 50})
				if err != nil {
					b.Fatal(err)
				}
				if bc.name == "email" && len(res.Docs) != 1 {
					b.Fatalf("%s: %d users", bc.q, len(res.Docs))
				}
			}
		})
	}
}
