package main

// Exports of many seeded users: an export of 100,000 users checked against
// the store, progress while processing, the per-tenant limit, a restart with
// pending jobs, and the 8 h limit of a running export.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
)

func TestExportSeeded(t *testing.T) {
	t.Parallel()
	n := 100_000
	if testing.Short() {
		n = 20_000 // enough for the other subtests to see exports running
	}
	tmpl := exSeedTemplate(t, n)
	t.Run("100k users", func(t *testing.T) {
		if testing.Short() {
			t.Skip("exports 100,000 seeded users; skipped in -short mode")
		}
		t.Parallel()
		exSeededExport(t, tmpl, n)
	})
	t.Run("tenant limit", func(t *testing.T) {
		t.Parallel()
		exTenantLimit(t, tmpl, n)
	})
	t.Run("restart with pending jobs", func(t *testing.T) {
		t.Parallel()
		exRestart(t, tmpl, n)
	})
	t.Run("8 h limit", func(t *testing.T) {
		t.Parallel()
		exTimeLimit(t, tmpl)
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
func (p *exProgress) check(j *exJob) {
	p.t.Helper()
	if j.Status != "processing" {
		if j.PercentageDone != "" || j.TimeLeftSeconds != "" {
			p.t.Errorf("%s job shows progress: %s", j.Status, j.raw)
		}
		return
	}
	p.processing++
	pct, err1 := j.PercentageDone.Int64()
	left, err2 := j.TimeLeftSeconds.Int64()
	if err1 != nil || err2 != nil || strings.ContainsAny(string(j.PercentageDone)+string(j.TimeLeftSeconds), ".eE") {
		p.t.Errorf("progress not integers: %s", j.raw)
	}
	if pct < 0 || pct > 99 || left < 0 {
		p.t.Errorf("progress out of range: %s", j.raw)
	}
	if pct > 0 {
		p.moving++
	}
	if keys := exKeys(p.t, j.raw); len(keys) < 2 || keys[len(keys)-2] != "percentage_done" || keys[len(keys)-1] != "time_left_seconds" {
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
func exSeededExport(t *testing.T, tmpl string, n int) {
	b := start(t, exFromTemplate(t, tmpl), newTestClock())
	if got := b.userCount(); got != int64(n) {
		t.Fatalf("%d users seeded, want %d", got, n)
	}
	csvJob := b.exCreate(`{"format":"csv"}`)
	jsonJob := b.exCreate(`{"format":"json"}`)
	p := &exProgress{t: t}
	var csvDone, jsonDone *exJob
	exPoll(t, 60*time.Second, "the exports of the seeded users", func() bool {
		csvDone, jsonDone = b.exJob(csvJob.ID), b.exJob(jsonJob.ID)
		p.check(csvDone)
		p.check(jsonDone)
		return exFinal(csvDone) && exFinal(jsonDone)
	})
	p.report()
	if csvDone.Status != "completed" || jsonDone.Status != "completed" {
		t.Fatalf("exports: %s\n%s", csvDone.raw, jsonDone.raw)
	}
	exCheckSeededCSV(t, b, b.exDownload(csvDone), n)
	exCheckSeededNDJSON(t, b, b.exDownload(jsonDone), n)
	for _, id := range []string{csvJob.ID, jsonJob.ID} {
		if j, err := b.exStoredJob(id); err != nil || j.Rows != int64(n) {
			t.Errorf("stored job %s: rows %d, %v; want %d", id, j.Rows, err, n)
		}
	}
}

// exFinal reports whether a job's status is final.
func exFinal(j *exJob) bool {
	return j.Status == "completed" || j.Status == "failed" || j.Status == "expired"
}

// exCheckSeededCSV checks a CSV file of every user with the default fields:
// one row per stored user, in user_id order, and every 97th row (and the
// last) cell by cell.
func exCheckSeededCSV(t *testing.T, b *bundle, data []byte, n int) {
	t.Helper()
	rows := exSplitCSV(t, data)
	if len(rows) != n+1 {
		t.Fatalf("%d CSV rows, want a header and %d users", len(rows), n)
	}
	if got, want := strings.Join(rows[0], ","), exCSVHeader(exDefaultCSVFields); got != want {
		t.Errorf("header %q, want %q", got, want)
	}
	i := 0
	exScan(t, b, func(id string, doc []byte) {
		row := rows[i+1]
		if row[0] != exQuote(id) {
			t.Fatalf("row %d is user %s, want %s", i, row[0], id)
		}
		if i%97 == 0 || i == n-1 {
			exCheckRow(t, i, row, exCSVRow(t, doc, exDefaultCSVFields), exDefaultCSVFields)
		}
		i++
	})
}

// exCheckSeededNDJSON checks an NDJSON file of every user without fields:
// each line is the stored document, in user_id order.
func exCheckSeededNDJSON(t *testing.T, b *bundle, data []byte, n int) {
	t.Helper()
	if !bytes.HasSuffix(data, []byte("\n")) {
		t.Fatalf("NDJSON does not end with a line end")
	}
	lines := bytes.Split(data[:len(data)-1], []byte("\n"))
	if len(lines) != n {
		t.Fatalf("%d NDJSON lines, want %d", len(lines), n)
	}
	i := 0
	exScan(t, b, func(id string, doc []byte) {
		if !bytes.Equal(lines[i], doc) {
			t.Fatalf("line %d =\n%s\nwant user %s\n%s", i, lines[i], id, doc)
		}
		i++
	})
}

// exScan calls fn for every stored user, in user_id order, page by page.
func exScan(t *testing.T, b *bundle, fn func(id string, doc []byte)) {
	t.Helper()
	testutil.EachUser(t, b.m.store, userport.UserScan{Tenant: "dev", Limit: 2000}, fn)
}

// exTenantLimit runs three exports with a limit of one processing export per
// tenant and checks, by polling GET, that no two were ever seen processing
// at the same time, and that all complete.
func exTenantLimit(t *testing.T, tmpl string, n int) {
	cfg := exFromTemplate(t, tmpl)
	cfg.MaxExportsPerTenant = 1
	cfg.Workers = 3
	b := start(t, cfg, newTestClock())
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
	exPoll(t, 60*time.Second, "the three exports", func() bool {
		final, processing := 0, 0
		for _, id := range ids {
			round++
			j := b.exJob(id)
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
				u, err := b.m.blobs.SignedURL(b.ctx(), id+"/dev.csv.gz", time.Minute)
				exMust(t, err)
				exWantForbidden(t, "link to a "+j.Status+" job's file", b.exFetch(u))
			}
			if exFinal(j) {
				final++
			}
		}
		running, err := b.m.store.CountJobs(b.ctx(), userport.JobFilter{Tenant: "dev", Statuses: []userport.JobStatus{userport.JobProcessing}})
		exMust(t, err)
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
		j := b.exJob(id)
		if j.Status != "completed" {
			t.Fatalf("job %s: %s", id, j.raw)
		}
		if rows := bytes.Count(b.exDownload(j), []byte("\n")); rows != n+1 {
			t.Errorf("job %s: %d lines, want %d", id, rows, n+1)
		}
	}
}

// exRestart closes the server while jobs wait behind a running export and
// checks that they complete after it starts again on the same data dir.
func exRestart(t *testing.T, tmpl string, n int) {
	cfg := exFromTemplate(t, tmpl)
	cfg.MaxExportsPerTenant, cfg.Workers = 1, 1
	clock := newTestClock()
	first := start(t, cfg, clock)
	var ids []string
	for range 3 {
		ids = append(ids, first.exCreate(`{"format":"json","fields":[{"name":"user_id"}]}`).ID)
	}
	// Close while the first export runs (Close lets it finish) and the others wait.
	exPoll(t, 30*time.Second, "the first export to start", func() bool { return first.exJob(ids[0]).Status != "pending" })
	var before []string
	for _, id := range ids {
		before = append(before, first.exJob(id).Status)
	}
	exMust(t, first.m.Close())
	if !slices.Contains(before, "pending") {
		t.Logf("no job was still pending just before Close: %v", before)
	}
	t.Logf("statuses just before Close: %v", before)

	second := start(t, cfg, clock)
	for _, id := range ids {
		j := second.exCompleted(id)
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
// checks that the job stays failed.
func exTimeLimit(t *testing.T, tmpl string) {
	cfg := exFromTemplate(t, tmpl)
	cfg.CleanupInterval = 20 * time.Millisecond
	b := start(t, cfg, newTestClock())
	exWaitForCleanup(t, b)
	j := b.exCreate(`{"format":"csv"}`)
	var seen *exJob
	exPoll(t, 30*time.Second, "the export to start", func() bool {
		seen = b.exJob(j.ID)
		return seen.Status != "pending"
	})
	if seen.Status != "processing" {
		t.Skipf("the export finished before the clock could be moved: %s", seen.raw)
	}
	b.exAdvance(8*time.Hour + time.Second)
	var failed *exJob
	exPoll(t, 30*time.Second, "the cleanup to fail the export", func() bool {
		failed = b.exJob(j.ID)
		return failed.Status != "processing"
	})
	want := strings.TrimSuffix(string(j.raw), `}`) + `,"status_details":"The export job was stopped because it ran longer than 8 hours."}`
	want = strings.Replace(want, `"status":"pending"`, `"status":"failed"`, 1)
	if string(failed.raw) != want {
		t.Fatalf("job after 8 h =\n%s\nwant\n%s", failed.raw, want)
	}
	// The worker still writing the file must not bring the job back, and
	// leaves no file (its runner's directory, exports/{job}/{runner}/, goes
	// with its temporary file).
	dir := filepath.Join(b.m.Config.DataDir, "exports", j.ID)
	exPoll(t, 30*time.Second, "the worker to stop writing", func() bool {
		names, _ := exDirNames(dir)
		return len(names) == 0
	})
	// The worker's run has returned: River finalized (or handed back) its job.
	exPoll(t, 30*time.Second, "the worker's run to return", func() bool {
		return b.riverState(j.ID) != "running"
	})
	after := b.exJob(j.ID)
	if after.Status != "failed" {
		t.Fatalf("the export failed by the 8 h limit was then completed by its still-running worker: %s", after.raw)
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
func exWaitForCleanup(t *testing.T, b *bundle) {
	t.Helper()
	j := b.exCompleted(b.exCreate(`{"format":"csv","limit":1}`).ID)
	b.exAdvance(24*time.Hour + time.Second)
	exPoll(t, 30*time.Second, "the cleanup to run", func() bool {
		names, err := exDirNames(filepath.Join(b.m.Config.DataDir, "exports", j.ID))
		return err == nil && len(names) == 0 || os.IsNotExist(err)
	})
}

// riverState is the state of the River job that works the job id.
func (b *bundle) riverState(id string) string {
	b.t.Helper()
	var state string
	err := b.sqlDB().QueryRow(`SELECT state FROM river_job WHERE json_extract(args, '$.job_id') = ?
		ORDER BY id DESC LIMIT 1`, id).Scan(&state)
	if err != nil {
		b.t.Fatalf("the River job of %s: %v", id, err)
	}
	return state
}
