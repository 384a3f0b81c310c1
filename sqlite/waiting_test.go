package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/sqlite"
)

// TestImportBatchesCommitWhenAWriterWaits checks that WriteImportBatches
// writes the batches next hands it in one transaction, and commits after
// the batch under way once another writer waits for the database's writer:
// a user write of the same store (it says so as it begins, and waits for the
// one connection) or of another process on the file (another DB here: it
// waits in SQLite's busy handler), which then succeeds.
func TestImportBatchesCommitWhenAWriterWaits(t *testing.T) {
	for _, other := range []bool{false, true} {
		t.Run(fmt.Sprintf("other process %v", other), func(t *testing.T) {
			ctx := t.Context()
			path := filepath.Join(t.TempDir(), "userport.db")
			db, err := sqlite.Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			writer := db
			if other {
				if writer, err = sqlite.Open(ctx, path); err != nil {
					t.Fatal(err)
				}
				defer writer.Close()
			}
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			conn := &userport.Connection{Tenant: "a", ID: "con_AAAAAAAAAAAAAAAA", Name: "Users", Strategy: "auth0", CreatedAt: now}
			if err := db.CreateConnection(ctx, conn); err != nil {
				t.Fatal(err)
			}
			job := &userport.Job{Tenant: "a", ID: "job_AAAAAAAAAAAAAAAA", Type: userport.JobUsersImport, Status: userport.JobPending,
				ConnectionID: conn.ID, CreatedAt: now}
			if err := db.CreateImportJob(ctx, job, 1000, 0, nil); err != nil {
				t.Fatal(err)
			}
			batch := func(n int64) *userport.ImportBatch {
				id := fmt.Sprintf("auth0|%d", n)
				u := &userport.User{Tenant: "a", UserID: id, ConnectionID: conn.ID, Email: fmt.Sprintf("%d@example.com", n),
					Doc: []byte(`{"user_id":"` + id + `"}`)}
				return &userport.ImportBatch{Tenant: "a", JobID: job.ID, ConnectionID: conn.ID, From: n, To: n + 1, BytesRead: n + 1,
					Users: []userport.ImportUser{{Record: n, User: u}}}
			}
			api := &userport.User{Tenant: "a", UserID: "auth0|api", ConnectionID: conn.ID, Email: "api@example.com", Doc: []byte(`{}`)}
			wrote := make(chan error, 1)
			calls := 0
			next := func(ctx context.Context, waiting func() bool) *userport.ImportBatch {
				calls++
				switch calls {
				case 1, 2: // nobody waits: the transaction goes on
					if waiting() {
						t.Errorf("call %d: a writer waits before any did", calls)
					}
					return batch(int64(calls))
				case 3: // a writer comes: the batch under way is the last
					go func() { wrote <- writer.CreateUsers(context.Background(), api) }()
					testutil.Eventually(t, 5*time.Second, "the writer to wait", waiting)
					return batch(3)
				}
				t.Errorf("next called %d times, want 3: the store did not commit for the waiting writer", calls)
				return nil
			}
			st, err := db.WriteImportBatches(ctx, batch(0), next)
			if err != nil {
				t.Fatalf("WriteImportBatches: %v", err)
			}
			if st.Records != 4 || st.Summary.Inserted != 4 {
				t.Errorf("state %+v, want 4 records inserted", st)
			}
			if err := <-wrote; err != nil {
				t.Errorf("the waiting writer: %v", err)
			}
			if n, err := db.CountUsers(ctx, "a", ""); err != nil || n != 5 {
				t.Errorf("CountUsers = %d, %v; want 5", n, err)
			}
		})
	}
}
