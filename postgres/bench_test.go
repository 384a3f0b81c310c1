package postgres_test

import (
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/postgres"
	"github.com/userport/userport/seed"
)

// BenchmarkReadUsers reads 100,000 seeded users in keyset pages of 1000, for
// the whole tenant and for one of its two connections, as the sqlite store's
// BenchmarkReadUsers does (the users come from package seed: about 1 KB each).
func BenchmarkReadUsers(b *testing.B) {
	const total, batch = 100_000, 1000
	db := open(b, postgres.Options{})
	start := time.Now().Add(-total * seed.MeanInterval)
	var gens []*seed.Generator
	for i, id := range []string{"con_0000000000000000", "con_0000000000000001"} {
		gens = append(gens, seed.New(int64(i+1), "bench", &userport.Connection{ID: id, Name: id}, start))
	}
	users := make([]*userport.User, batch)
	for n := range total / batch {
		gens[n%2].Fill(users)
		if err := db.CreateUsers(b.Context(), users...); err != nil {
			b.Fatalf("CreateUsers: %v", err)
		}
	}
	if _, err := db.Pool().Exec(b.Context(), `VACUUM ANALYZE users`); err != nil {
		b.Fatal(err)
	}
	b.Run("all", func(b *testing.B) { benchRead(b, db, "", total) })
	b.Run("connection", func(b *testing.B) { benchRead(b, db, "con_0000000000000001", total/2) })
}

// benchRead reads every user of the tenant (of one connection when
// connectionID != "") per iteration.
func benchRead(b *testing.B, db *postgres.DB, connectionID string, want int) {
	var bytes int
	var p userport.UserPage
	for b.Loop() {
		seen := 0
		s := userport.UserScan{Tenant: "bench", ConnectionID: connectionID, Limit: 1000}
		for {
			if err := db.ReadUsers(b.Context(), s, &p); err != nil {
				b.Fatalf("ReadUsers: %v", err)
			}
			seen += p.Len()
			bytes += len(p.Docs)
			if p.Len() < s.Limit {
				break
			}
			s.After = p.Last
		}
		if seen != want {
			b.Fatalf("read %d users, want %d", seen, want)
		}
	}
	b.ReportMetric(float64(b.N*want)/b.Elapsed().Seconds(), "users/s")
	b.SetBytes(int64(bytes / max(b.N, 1)))
}
