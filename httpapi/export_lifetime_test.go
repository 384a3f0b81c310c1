package httpapi_test

// The lifetimes of export jobs on the injected clock: the file is deleted and
// the job reads expired 24 h after creation, the record is purged after 7
// days. (The 8 h limit of a running export is in export_seeded_e2e_test.go:
// it needs an export that runs long enough.)

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/jobs"
)

func TestExportLifetimes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.work(func(c *jobs.Config, _ *jobs.Deps) { c.CleanupInterval = 50 * time.Millisecond })
	b.putUsers(b.connection(upa), 0, 5)
	first := b.completed(b.exCreate(`{"format":"csv","fields":[{"name":"email"}]}`).ID)
	created, err := time.Parse(userport.TimeFormat, first.CreatedAt)
	must(t, err)
	files, err := filepath.Glob(filepath.Join(b.filesDir, first.ID, "*", "dev.csv.gz"))
	if err != nil || len(files) != 1 {
		t.Fatalf("the export file is not where expected (exports/{job}/{runner}/dev.csv.gz): %v, %v", files, err)
	}
	file := files[0]
	at := func(d time.Duration) { b.advance(created.Add(d).Sub(b.Clock.Now())) }
	base := `{"type":"users_export","status":"STATUS","format":"csv","fields":[{"name":"email"}],"created_at":"` + first.CreatedAt + `","id":"` + first.ID + `"}`

	// Just before 24 h: still completed, and served.
	at(24*time.Hour - time.Millisecond)
	last := b.job(first.ID)
	if last.Status != "completed" || last.Location == "" {
		t.Fatalf("1 ms before 24 h: %s", last.Raw)
	}
	if r := b.fetch(last.Location); r.status != 200 {
		t.Fatalf("download 1 ms before 24 h: %d", r.status)
	}

	// Just after: expired, no location, and the cleanup deletes the file.
	at(24*time.Hour + time.Millisecond)
	b.exGet(first.ID).want(t, 200, strings.ReplaceAll(base, "STATUS", "expired"))
	exWantKeys(t, b.exGet(first.ID).body, "type", "status", "format", "fields", "created_at", "id")
	testutil.Eventually(t, 30*time.Second, "the cleanup to delete the file", func() bool {
		_, err := os.Stat(file)
		return errors.Is(err, fs.ErrNotExist)
	})
	testutil.Eventually(t, 30*time.Second, "the stored job to read expired", func() bool {
		j, err := b.storedJob(first.ID)
		return err == nil && j.Status == userport.JobExpired
	})
	if _, err := b.Files.Open(b.ctx(), first.ID+"/dev.csv.gz"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("open the expired file: %v, want not exist", err)
	}
	exWantForbidden(t, "link signed before the file was deleted", b.fetch(last.Location))

	// A job created now lives on its own clock.
	second := b.completed(b.exCreate(`{"format":"json"}`).ID)

	// Just before 7 days: still there, expired.
	at(7*24*time.Hour - time.Millisecond)
	b.exGet(first.ID).want(t, 200, strings.ReplaceAll(base, "STATUS", "expired"))

	// Just after: gone, and the cleanup purges the record.
	at(7*24*time.Hour + time.Millisecond)
	b.exGet(first.ID).wantError(t, http.StatusNotFound, "inexistent_job", "The job does not exist.")
	testutil.Eventually(t, 30*time.Second, "the cleanup to purge the record", func() bool {
		_, err := b.storedJob(first.ID)
		return userport.ErrorCode(err) == userport.ENOTFOUND
	})
	if j := b.job(second.ID); j.Status != "expired" {
		t.Errorf("the second job (6 days old): %s", j.Raw)
	}
	if n := b.countJobs(userport.JobFilter{}); n != 1 {
		t.Errorf("%d jobs left, want the second", n)
	}
	if names, _ := exDirNames(filepath.Join(b.filesDir, first.ID)); len(names) != 0 {
		t.Errorf("files left of the purged job: %v", names)
	}
}
