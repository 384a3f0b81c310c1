package importer_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/importer"
	"github.com/userport/userport/internal/testutil"
)

// loadJob writes an import job of the records into emb's store, started
// at the clock's time, and returns it with the file to load.
func loadJob(t *testing.T, emb *testutil.Embedded, records ...string) (*userport.Job, importer.LocalFile) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "users.ndjson")
	data := []byte(strings.Join(records, "\n") + "\n")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	job := userport.NewJob("dev", userport.JobUsersImport, emb.Clock.Now())
	job.ConnectionID, job.Connection = emb.Conn.ID, emb.Conn.Name
	if err := emb.Store.CreateImportJob(t.Context(), job, int64(len(data)), 0, nil); err != nil {
		t.Fatal(err)
	}
	job, err := emb.Store.StartJob(t.Context(), "dev", job.ID, 1, emb.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return job, importer.LocalFile(file)
}

// TestLoadLeavesAJobEndedElsewhere: a Load whose job another process ended
// meanwhile (the cleanup, an operator) does not overwrite its end.
func TestLoadLeavesAJobEndedElsewhere(t *testing.T) {
	t.Parallel()
	emb := testutil.NewEmbedded(t)
	job, file := loadJob(t, emb, `{"email":"a@example.com"}`)
	_, err := emb.Store.UpdateJob(t.Context(), "dev", job.ID, func(j *userport.Job) error {
		return j.Fail("", emb.Clock.Now(), "Stopped.", nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := importer.Load(t.Context(), emb.Store, emb.Clock, job, file, 0); !errors.Is(err, userport.ErrJobNotProcessing) {
		t.Errorf("load of a failed job: %v, want %v", err, userport.ErrJobNotProcessing)
	}
	stored, err := emb.Store.FindJob(t.Context(), "dev", job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != userport.JobFailed || stored.StatusDetails != "The import failed: Stopped." {
		t.Errorf("job %s %q after the load, want it failed as before", stored.Status, stored.StatusDetails)
	}
}

// TestLoadEndsTheJobOnTheClock: the loaded job ends at the injected clock's
// time, with its summary.
func TestLoadEndsTheJobOnTheClock(t *testing.T) {
	t.Parallel()
	emb := testutil.NewEmbedded(t)
	job, file := loadJob(t, emb, `{"email":"a@example.com"}`, `{"email":"bad"}`)
	emb.Clock.Advance(time.Hour)
	sum, _, err := importer.Load(t.Context(), emb.Store, emb.Clock, job, file, 0)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := emb.Store.FindJob(t.Context(), "dev", job.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := userport.ImportSummary{Inserted: 1, Failed: 1, Total: 2}
	if stored.Status != userport.JobCompleted || !stored.CompletedAt.Equal(emb.Clock.Now()) || stored.Summary == nil || *stored.Summary != want {
		t.Errorf("job %s at %v with %+v, want completed at %v with %+v", stored.Status, stored.CompletedAt, stored.Summary,
			emb.Clock.Now(), want)
	}
	if sum == nil || *sum != want {
		t.Errorf("Load's summary %+v, want %+v", sum, want)
	}
}

// TestLoadFile: the file is loaded as an import job of the connection,
// started whatever imports are active, recorded with the options and
// without an upload key (the file is the caller's: the cleanup deletes no
// upload of it), and completed with its summary.
func TestLoadFile(t *testing.T) {
	t.Parallel()
	emb := testutil.NewEmbedded(t)
	file := filepath.Join(t.TempDir(), "users.ndjson")
	data := []byte(`{"email":"a@example.com","user_id":"a1"}` + "\n" + `{"email":"bad"}` + "\n")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	job, sum, _, err := importer.LoadFile(t.Context(), emb.Store, emb.Clock, emb.Conn, file, int64(len(data)),
		importer.LoadOptions{Upsert: true, NewIDs: true})
	if err != nil {
		t.Fatal(err)
	}
	want := userport.ImportSummary{Inserted: 1, Failed: 1, Total: 2}
	if sum == nil || *sum != want {
		t.Errorf("summary %+v, want %+v", sum, want)
	}
	stored, err := emb.Store.FindJob(t.Context(), "dev", job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Type != userport.JobUsersImport || stored.Status != userport.JobCompleted || stored.ConnectionID != emb.Conn.ID ||
		!stored.Upsert || !stored.NewIDs || stored.UploadKey != "" {
		t.Errorf("stored job %+v, want a completed import into %s with upsert and new ids, without an upload key", stored, emb.Conn.ID)
	}
	if _, err := os.Stat(file); err != nil {
		t.Errorf("the loaded file is gone: %v", err)
	}
}
