package httpapi_test

// Exports of many seeded users: an export of 100,000 users checked against
// the store, progress while processing, the per-tenant limit, a restart of
// the workers with pending jobs; and the 8 h limit of a running export, held
// on a gate while the clock moves.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/jobs"
)

func TestExportSeeded(t *testing.T) {
	t.Parallel()
	n := 100_000
	if testing.Short() {
		n = 20_000 // enough for the other subtests to see exports running
	}
	t.Run("100k users", func(t *testing.T) {
		if testing.Short() {
			t.Skip("exports 100,000 seeded users; skipped in -short mode")
		}
		t.Parallel()
		exSeededExport(t, n)
	})
	t.Run("tenant limit", func(t *testing.T) {
		t.Parallel()
		exTenantLimit(t, n)
	})
	t.Run("restart with pending jobs", func(t *testing.T) {
		t.Parallel()
		exRestart(t, n)
	})
	t.Run("8 h limit", func(t *testing.T) {
		t.Parallel()
		exTimeLimit(t)
	})
}

// exProgress collects what polling saw of running jobs.
type exProgress struct {
	t          *testing.T
	processing int // GETs that read processing
	moving     int // of them, with percentage_done > 0
}

// check verifies the progress figures of a processing job: JSON integers,
// percentage_done within 0-99, time_left_seconds >= 0.
func (p *exProgress) check(j *job) {
	p.t.Helper()
	if j.Status != "processing" {
		if j.PercentageDone != "" || j.TimeLeftSeconds != "" {
			p.t.Errorf("%s job shows progress: %s", j.Status, j.Raw)
		}
		return
	}
	p.processing++
	pct, err1 := j.PercentageDone.Int64()
	left, err2 := j.TimeLeftSeconds.Int64()
	if err1 != nil || err2 != nil || strings.ContainsAny(string(j.PercentageDone)+string(j.TimeLeftSeconds), ".eE") {
		p.t.Errorf("progress not integers: %s", j.Raw)
	}
	if pct < 0 || pct > 99 || left < 0 {
		p.t.Errorf("progress out of range: %s", j.Raw)
	}
	if pct > 0 {
		p.moving++
	}
	if keys := testutil.JSONKeys(p.t, j.Raw); len(keys) < 2 || keys[len(keys)-2] != "percentage_done" || keys[len(keys)-1] != "time_left_seconds" {
		p.t.Errorf("keys of a processing job: %v", keys)
	}
}

// report logs what was seen, so that a run says whether progress was
// observed at all (an export may finish within one progress interval).
func (p *exProgress) report() {
	p.t.Logf("polling saw the jobs processing %d times, %d of them with percentage_done > 0", p.processing, p.moving)
}

// exSeededExport exports every user as CSV and as NDJSON and checks the files
// against the store.
func exSeededExport(t *testing.T, n int) {
	b := setup(t)
	b.seed(n)
	b.work(nil)
	if got := b.userCount(); got != int64(n) {
		t.Fatalf("%d users seeded, want %d", got, n)
	}
	csvJob := b.exCreate(`{"format":"csv"}`)
	jsonJob := b.exCreate(`{"format":"json"}`)
	p := &exProgress{t: t}
	var csvDone, jsonDone *job
	testutil.Eventually(t, 60*time.Second, "the exports of the seeded users", func() bool {
		csvDone, jsonDone = b.job(csvJob.ID), b.job(jsonJob.ID)
		p.check(csvDone)
		p.check(jsonDone)
		return exFinal(csvDone) && exFinal(jsonDone)
	})
	p.report()
	if csvDone.Status != "completed" || jsonDone.Status != "completed" {
		t.Fatalf("exports: %s\n%s", csvDone.Raw, jsonDone.Raw)
	}
	testutil.CheckStoreCSV(t, b.Store, b.tenant, b.exDownload(csvDone), n)
	testutil.CheckStoreNDJSON(t, b.Store, b.tenant, b.exDownload(jsonDone), n)
	for _, id := range []string{csvJob.ID, jsonJob.ID} {
		if j, err := b.storedJob(id); err != nil || j.Rows != int64(n) {
			t.Errorf("stored job %s: rows %d, %v; want %d", id, j.Rows, err, n)
		}
	}
}

// exFinal reports whether a job's status is final.
func exFinal(j *job) bool {
	return j.Status == "completed" || j.Status == "failed" || j.Status == "expired"
}

// exTenantLimit runs three exports with a limit of one processing export per
// tenant and checks, by polling GET, that no two were ever seen processing
// at the same time, and that all complete.
func exTenantLimit(t *testing.T, n int) {
	b := setup(t)
	b.seed(n)
	b.work(func(c *jobs.Config, _ *jobs.Deps) { c.MaxExportsPerTenant, c.Workers = 1, 3 })
	var ids []string
	for range 3 {
		ids = append(ids, b.exCreate(`{"format":"csv","fields":[{"name":"user_id"},{"name":"email"}]}`).ID)
	}
	// seen[id] is the first and last poll that saw the job processing: a job is
	// processing once, so it was processing in between, and two such spans
	// that overlap mean two exports processing at once.
	seen := map[string][2]int{}
	waiting, guessed, p := 0, map[string]bool{}, &exProgress{t: t}
	round := 0
	testutil.Eventually(t, 60*time.Second, "the three exports", func() bool {
		final, processing := 0, 0
		for _, id := range ids {
			round++
			j := b.job(id)
			p.check(j)
			switch j.Status {
			case "processing":
				processing++
				span, ok := seen[id]
				if !ok {
					span[0] = round
				}
				span[1] = round
				seen[id] = span
			case "pending":
				if len(seen) > 0 {
					waiting++
				}
			}
			if (j.Status == "pending" || j.Status == "processing") && !guessed[j.Status] {
				guessed[j.Status] = true
				u, err := b.Files.SignedURL(b.ctx(), id+"/dev.csv.gz", time.Minute, "")
				must(t, err)
				exWantForbidden(t, "link to a "+j.Status+" job's file", b.fetch(u))
			}
			if exFinal(j) {
				final++
			}
		}
		running, err := b.Store.CountJobs(b.ctx(), userport.JobFilter{Tenant: b.tenant, Statuses: []userport.JobStatus{userport.JobProcessing}})
		must(t, err)
		if running > 1 {
			t.Errorf("the store has %d exports processing", running)
		}
		return final == len(ids)
	})
	p.report()
	t.Logf("seen processing: %v; a job was seen pending while another ran %d times", seen, waiting)
	for a, sa := range seen {
		for c, sc := range seen {
			if a < c && sa[0] <= sc[1] && sc[0] <= sa[1] {
				t.Errorf("jobs %s (polls %v) and %s (polls %v) were processing at the same time", a, sa, c, sc)
			}
		}
	}
	if len(seen) < 2 || waiting == 0 {
		t.Logf("the exports were too fast to see them wait for each other")
	}
	for _, id := range ids {
		j := b.job(id)
		if j.Status != "completed" {
			t.Fatalf("job %s: %s", id, j.Raw)
		}
		if rows := bytes.Count(b.exDownload(j), []byte("\n")); rows != n+1 {
			t.Errorf("job %s: %d lines, want %d", id, rows, n+1)
		}
	}
}

// exRestart stops the workers while jobs wait behind a running export and
// checks that they complete once workers start again on the same store.
func exRestart(t *testing.T, n int) {
	b := setup(t)
	b.seed(n)
	one := func(c *jobs.Config, _ *jobs.Deps) { c.MaxExportsPerTenant, c.Workers = 1, 1 }
	stop := b.work(one)
	first := b
	var ids []string
	for range 3 {
		ids = append(ids, first.exCreate(`{"format":"json","fields":[{"name":"user_id"}]}`).ID)
	}
	// Stop while the first export runs (stop lets it finish) and the others wait.
	testutil.Eventually(t, 30*time.Second, "the first export to start", func() bool { return first.job(ids[0]).Status != "pending" })
	var before []string
	for _, id := range ids {
		before = append(before, first.job(id).Status)
	}
	stop()
	if !slices.Contains(before, "pending") {
		t.Logf("no job was still pending just before the stop: %v", before)
	}
	t.Logf("statuses just before the stop: %v", before)

	b.work(one)
	second := b
	for _, id := range ids {
		j := second.completed(id)
		data := second.exDownload(j)
		if lines := bytes.Count(data, []byte("\n")); lines != n {
			t.Errorf("job %s: %d lines, want %d", id, lines, n)
		}
		var firstLine struct {
			UserID string `json:"user_id"`
		}
		if err := json.Unmarshal(data[:bytes.IndexByte(data, '\n')], &firstLine); err != nil || !strings.HasPrefix(firstLine.UserID, "auth0|") {
			t.Errorf("job %s: first line %q", id, data[:min(len(data), 80)])
		}
	}
}

// exTimeLimit fails a running export by moving the clock past 8 h, then
// checks that the job stays failed. The export is held on a gate at its
// first write, so it is still running when the clock moves however fast the
// machine is; the gate opens once the job reads failed.
func exTimeLimit(t *testing.T) {
	b := setup(t)
	b.putUsers(b.connection(upa), 0, 50)
	gate := newGatedBlobs()
	stop := b.work(func(c *jobs.Config, d *jobs.Deps) {
		c.CleanupInterval = 20 * time.Millisecond
		gate.BlobStore = d.Blobs
		d.Blobs = gate
	})
	t.Cleanup(gate.release) // before the workers stop, should the test end early
	exWaitForCleanup(t, b)
	gate.arm()
	j := b.exCreate(`{"format":"csv"}`)
	gate.reached(t, j.ID)
	if seen := b.job(j.ID); seen.Status != "processing" {
		t.Fatalf("the export held at its first write: %s", seen.Raw)
	}
	b.advance(8*time.Hour + time.Second)
	var failed *job
	testutil.WaitFor(t, 30*time.Second, "the cleanup to fail the export", func() (string, bool) {
		failed = b.job(j.ID)
		return failed.Status, failed.Status != "processing"
	})
	want := strings.TrimSuffix(string(j.Raw), `}`) + `,"status_details":"The export job was stopped because it ran longer than 8 hours."}`
	want = strings.Replace(want, `"status":"pending"`, `"status":"failed"`, 1)
	if string(failed.Raw) != want {
		t.Fatalf("job after 8 h =\n%s\nwant\n%s", failed.Raw, want)
	}
	// The worker still writing the file must not bring the job back, and
	// leaves no file (its runner's directory, exports/{job}/{runner}/, goes
	// with its temporary file).
	gate.release()
	dir := filepath.Join(b.filesDir, j.ID)
	testutil.WaitFor(t, 30*time.Second, "the worker to stop writing", func() (string, bool) {
		names, _ := exDirNames(dir)
		return fmt.Sprint(names), len(names) == 0
	})
	stop() // returns once the worker's run has returned
	after := b.job(j.ID)
	if after.Status != "failed" {
		t.Fatalf("the export failed by the 8 h limit was then completed by its still-running worker: %s", after.Raw)
	}
	if names, _ := exDirNames(dir); len(names) != 0 {
		t.Errorf("files of the failed export: %v", names)
	}
	if r := b.exGet(j.ID); r.status != http.StatusOK {
		t.Errorf("GET: %d", r.status)
	}
}

// exWaitForCleanup returns once the periodic cleanup is seen at work (River
// runs periodic jobs only once its leader is elected): a small export is
// made, the clock moved past its file lifetime, and its file deleted.
func exWaitForCleanup(t *testing.T, b *env) {
	t.Helper()
	j := b.completed(b.exCreate(`{"format":"csv","limit":1}`).ID)
	b.advance(24*time.Hour + time.Second)
	testutil.Eventually(t, 30*time.Second, "the cleanup to run", func() bool {
		names, err := exDirNames(filepath.Join(b.filesDir, j.ID))
		return err == nil && len(names) == 0 || os.IsNotExist(err)
	})
}
