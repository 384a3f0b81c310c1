package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/seed"
)

// BenchWrites measures the writes of users (issue 21: change tracking may
// cost them at most 10 % of their users/s), each sub-benchmark on a new
// store from open, in users/s:
//
//   - create_one: CreateUsers of one user, as POST /api/v2/users writes;
//   - create_batch: CreateUsers of 1,000;
//   - update_one: UpdateUser, as PATCH /api/v2/users/{id};
//   - delete_one: DeleteUser;
//   - import_batch: WriteImportBatch of 1,000 users of an upsert import,
//     half of them new and half updates of the batch before's.
//
// Users come from package seed (about 1 KB each).
func BenchWrites(b *testing.B, open func(b *testing.B) userport.Store) {
	conn := &userport.Connection{Tenant: "bench", ID: "con_0000000000000001", Name: "Users"}
	start := time.Now().Add(-time.Hour)
	gen := func() *seed.Generator { return seed.New(1, "bench", conn, start) }
	users := func(g *seed.Generator, n int) []*userport.User {
		us := make([]*userport.User, n)
		g.Fill(us)
		return us
	}
	report := func(b *testing.B, n int) {
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "users/s")
	}
	// reportCPU adds the users per second of the process's CPU time since
	// cpu, for the single-user writes (no work outside the timer).
	reportCPU := func(b *testing.B, n int, cpu time.Duration) {
		report(b, n)
		b.ReportMetric(float64(n)/(testutil.CPUTime(b)-cpu).Seconds(), "users/cpu-s")
	}
	b.Run("create_one", func(b *testing.B) {
		s, g := open(b), gen()
		cpu := testutil.CPUTime(b)
		for b.Loop() {
			if err := s.CreateUsers(b.Context(), g.Next()); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, b.N, cpu)
	})
	b.Run("create_batch", func(b *testing.B) {
		s, g := open(b), gen()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			batch := users(g, 1000)
			b.StartTimer()
			if err := s.CreateUsers(b.Context(), batch...); err != nil {
				b.Fatal(err)
			}
		}
		report(b, b.N*1000)
	})
	stored := func(b *testing.B, n int) (userport.Store, []*userport.User) {
		b.Helper()
		s, all := open(b), users(gen(), n)
		for i := 0; i < n; i += 1000 {
			if err := s.CreateUsers(b.Context(), all[i:min(i+1000, n)]...); err != nil {
				b.Fatal(err)
			}
		}
		return s, all
	}
	b.Run("update_one", func(b *testing.B) {
		s, all := stored(b, 10_000)
		b.ResetTimer()
		cpu := testutil.CPUTime(b)
		for i := 0; i < b.N; i++ {
			u := *all[i%len(all)]
			u.Doc = json.RawMessage(fmt.Sprintf(`{"user_id":%q,"email":%q,"user_metadata":{"v":%d}}`, u.UserID, u.Email, i))
			if err := s.UpdateUser(b.Context(), &u); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, b.N, cpu)
	})
	b.Run("delete_one", func(b *testing.B) {
		s, all := stored(b, b.N)
		b.ResetTimer()
		cpu := testutil.CPUTime(b)
		for i := 0; i < b.N; i++ {
			if err := s.DeleteUser(b.Context(), "bench", all[i].UserID); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, b.N, cpu)
	})
	b.Run("import_batch", func(b *testing.B) {
		s, g := open(b), gen()
		j := newJob("bench", 1, userport.JobUsersImport, userport.JobPending, baseTime)
		j.ConnectionID, j.Connection, j.UploadKey, j.Upsert = conn.ID, conn.Name, userport.ImportUploadKey(j.ID), true
		if err := s.CreateImportJob(b.Context(), j, 1<<40, 0, noEnqueue); err != nil {
			b.Fatal(err)
		}
		prev := users(g, 500)
		var record int64
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			fresh := users(g, 500)
			var batch []userport.ImportUser
			for _, u := range append(prev, fresh...) {
				doc := json.RawMessage(fmt.Sprintf(`{"user_id":%q,"email":%q,"user_metadata":{"v":%d}}`, u.UserID, u.Email, i))
				batch = append(batch, upsertUser(u, record, doc))
				record++
			}
			prev = fresh
			ib := &userport.ImportBatch{Tenant: "bench", JobID: j.ID, ConnectionID: conn.ID, Upsert: true,
				From: record - int64(len(batch)), To: record, Users: batch}
			b.StartTimer()
			if _, err := s.WriteImportBatch(b.Context(), ib); err != nil {
				b.Fatal(err)
			}
		}
		report(b, b.N*1000)
	})
}
