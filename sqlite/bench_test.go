package sqlite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/sqlite"
)

const benchBatch = 1000

// benchUser returns a user with a realistic profile of about 0.9 KB.
func benchUser(tenant, connectionID string, n int, now time.Time) *userport.User {
	yes, logins := true, int64(n%97)
	id := userport.NewUserID(now)
	ts := userport.FormatTime(now)
	p := &userport.Profile{
		UserID: id, Email: fmt.Sprintf("user%07d@example.com", n), EmailVerified: &yes,
		Name: fmt.Sprintf("Jane Doe %d", n), GivenName: "Jane", FamilyName: "Doe", Nickname: fmt.Sprintf("user%07d", n),
		Picture:    "https://s.gravatar.com/avatar/3e8ce75d4a2f15e89c1a2d1b6f0c4e7a?s=480&r=pg",
		Identities: []userport.Identity{{Connection: userport.DefaultConnectionName, Provider: "auth0", UserID: id[len("auth0|"):]}},
		UserMetadata: json.RawMessage(`{"preferences":{"theme":"dark","language":"en-GB","newsletter":true},` +
			`"address":{"street":"221B Baker Street","city":"London","postcode":"NW1 6XE","country":"GB"},` +
			`"consent":{"given":true,"at":"` + ts + `","version":"2024-01"}}`),
		AppMetadata: json.RawMessage(`{"plan":"pro","roles":["admin","editor"],"stripe":[{"customer_id":"cus_` +
			fmt.Sprintf("%014d", n) + `"}]}`),
		CreatedAt: ts, UpdatedAt: ts, LastLogin: ts, LastIP: "203.0.113.42", LoginsCount: &logins,
	}
	u, err := userport.UserFromProfile(tenant, connectionID, "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", p)
	if err != nil {
		panic(err)
	}
	return u
}

// benchUsers returns batch n of benchmark users; batch n is created at
// base + n seconds, so later batches sort after earlier ones.
func benchUsers(tenant string, n int, base time.Time) []*userport.User {
	now := base.Add(time.Duration(n) * time.Second)
	users := make([]*userport.User, benchBatch)
	for i := range users {
		k := n*benchBatch + i
		users[i] = benchUser(tenant, fmt.Sprintf("con_%016d", k%2), k, now)
	}
	return users
}

// BenchmarkCreateUsers inserts batches of 1000 users of about 0.9 KB.
func BenchmarkCreateUsers(b *testing.B) {
	db := open(b, filepath.Join(b.TempDir(), "bench.db"))
	defer db.Close()
	base := time.Now().UTC()
	var docBytes int
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		users := benchUsers("bench", i, base)
		docBytes = len(users[0].Doc)
		b.StartTimer()
		if err := db.CreateUsers(b.Context(), users...); err != nil {
			b.Fatalf("CreateUsers: %v", err)
		}
	}
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "users/s")
	b.ReportMetric(float64(docBytes), "doc-bytes")
}

// BenchmarkReadUsers reads 100,000 seeded users in keyset pages of 1000, for
// the whole tenant and for one of its two connections.
func BenchmarkReadUsers(b *testing.B) {
	const total = 100_000
	db := seededDB(b, total)
	b.Run("all", func(b *testing.B) { benchRead(b, db, "", total) })
	b.Run("connection", func(b *testing.B) { benchRead(b, db, "con_0000000000000001", total/2) })
}

// seededDB opens a new store holding total users of tenant "bench" (in
// batches of benchBatch), closed when the benchmark ends.
func seededDB(b *testing.B, total int) *sqlite.DB {
	db := open(b, filepath.Join(b.TempDir(), "bench.db"))
	b.Cleanup(func() { db.Close() })
	base := time.Now().UTC()
	for n := range total / benchBatch {
		if err := db.CreateUsers(b.Context(), benchUsers("bench", n, base)...); err != nil {
			b.Fatalf("CreateUsers: %v", err)
		}
	}
	return db
}

// benchRead reads every user of the tenant (of one connection when
// connectionID != "") per iteration.
func benchRead(b *testing.B, db *sqlite.DB, connectionID string, want int) {
	ctx := context.Background()
	var bytes int
	var p userport.UserPage
	for b.Loop() {
		seen := 0
		s := userport.UserScan{Tenant: "bench", ConnectionID: connectionID, Limit: benchBatch}
		for {
			if err := db.ReadUsers(ctx, s, &p); err != nil {
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

// BenchmarkScanUserKeys pages through 50,000 seeded users as the user
// search does (search.Run: pages of 500 after a first one of 50), in the
// order of three keys, and times a first page of 50 alone (one API call).
func BenchmarkScanUserKeys(b *testing.B) {
	const total = 50_000
	db := seededDB(b, total)
	for _, bc := range []struct {
		name  string
		key   userport.UserKey
		first int
		want  int
	}{
		{"user_id", userport.KeyUserID, 500, total},
		{"email", userport.KeyEmail, 500, total},
		{"last_login", userport.KeyLastLogin, 500, total},
		{"first_page_50", userport.KeyUserID, 50, 50},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var p userport.UserPage
			for b.Loop() {
				s := userport.UserKeyScan{Tenant: "bench", Key: bc.key, Limit: bc.first}
				seen := 0
				for seen < bc.want {
					if err := db.ScanUserKeys(b.Context(), s, &p); err != nil {
						b.Fatalf("ScanUserKeys: %v", err)
					}
					seen += p.Len()
					if p.Len() < s.Limit {
						break
					}
					s.AfterKey, s.AfterID, s.Limit = p.LastKey, p.Last, 500
				}
				if seen != bc.want {
					b.Fatalf("read %d users, want %d", seen, bc.want)
				}
			}
			b.ReportMetric(float64(b.N*bc.want)/b.Elapsed().Seconds(), "users/s")
		})
	}
}
