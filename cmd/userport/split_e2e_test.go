//go:build unix

package main

// A split export, cut into user_id ranges that several workers write at once
// and joined, equals the unsplit export of the same users: in scale mode
// through the built binary (PostgreSQL, S3, serve --jobs none and two
// workers, joined in S3); httpapi tests it in embedded mode.

import (
	"bytes"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/postgres"
)

// splitBodies are the exports of the split tests: each is created as is
// (split) and with a limit above the users, which is never split: the
// reference its file must equal.
var splitBodies = []map[string]any{
	{"format": "json"},
	{"format": "csv"},
	{"format": "csv", "fields": []map[string]string{{"name": "user_id"}, {"name": "email", "export_as": "Email"}, {"name": "created_at"}}},
}

// splitScaleStart seeds users into a scale environment of t's own and
// starts serve --jobs none and two workers on it, with the settings of t's
// environment; the workers' logs are shown when t fails.
func splitScaleStart(t *testing.T, users int) (*scaleEnv, *bundle, []*imProcess) {
	t.Helper()
	e := newScaleEnv(t)
	bin := buildUserport(t)
	args := append([]string{"seed", "--data-dir", t.TempDir(), "--users", strconv.Itoa(users), "--quiet"}, e.flags()...)
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	dir, addr := t.TempDir(), imFreeAddr(t)
	installTestKey(t, dir)
	imStartServe(t, bin, dir, addr, append([]string{"--jobs", "none"}, e.flags()...)...)
	workers := []*imProcess{scaleStartWorker(t, bin, e), scaleStartWorker(t, bin, e)}
	t.Cleanup(func() {
		if t.Failed() {
			for i, w := range workers {
				t.Logf("worker %d:\n%s", i, w.logs.String())
			}
		}
	})
	return e, imClient(t, addr), workers
}

// cloneWith returns a copy of m with key set to v.
func cloneWith(m map[string]any, key string, v any) map[string]any {
	c := map[string]any{key: v}
	for k, x := range m {
		c[k] = x
	}
	return c
}

// TestScaleModeSplitExport runs split exports in scale mode through the
// built binary: serve --jobs none and two workers on one PostgreSQL schema
// and one S3 bucket. Each export is cut into four ranges that the workers'
// River jobs write at once and that are joined in S3; its file, decompressed,
// equals byte for byte the unsplit export of the same users (CSV with its one
// header, NDJSON).
func TestScaleModeSplitExport(t *testing.T) {
	const users = 20_000
	t.Setenv("USERPORT_EXPORT_SPLIT_PARTS", "4")
	t.Setenv("USERPORT_EXPORT_SPLIT_MIN_USERS", "2000")
	t.Setenv("USERPORT_MAX_EXPORTS_PER_TENANT", "6")
	e, c, _ := splitScaleStart(t, users)

	var created []exJob
	for _, body := range splitBodies {
		for _, b := range []map[string]any{body, cloneWith(body, "limit", users+1)} {
			r := c.admin(http.MethodPost, "/jobs/users-exports", b)
			r.wantStatus(t, http.StatusOK)
			var j exJob
			r.decode(t, &j)
			created = append(created, j)
		}
	}
	start := time.Now()
	done := scaleWaitAll(t, c, created, 2*time.Minute)
	t.Logf("%d exports of %d users completed in %v", len(done), users, time.Since(start))
	db := e.store(t)
	jobsOf := riverJobs(t, db)
	for i := 0; i < len(done); i += 2 {
		split, whole := done[i], done[i+1]
		got, want := scaleDownload(t, c, split, e.s3Endpoint), scaleDownload(t, c, whole, e.s3Endpoint)
		if !bytes.Equal(got, want) || len(want) == 0 {
			t.Errorf("%v: the split export's file (%d bytes) differs from the unsplit one's (%d bytes)", splitBodies[i/2], len(got), len(want))
		}
		for _, tt := range []struct {
			id          string
			parts, jobs int
		}{{split.ID, 4, 3}, {whole.ID, 0, 0}} {
			parts := len(partRunners(t, db, tt.id, userport.JobCompleted))
			helpers := len(jobsOf("userport_export_part", tt.id))
			if parts != tt.parts || helpers != tt.jobs {
				t.Errorf("export %s: %d completed parts and %d helper jobs, want %d and %d", tt.id, parts, helpers, tt.parts, tt.jobs)
			}
		}
	}
}

// TestScaleModeSplitExportWorkerKilled kills with SIGKILL the worker
// process that is writing a range of a split export: another runner takes
// the range over once its heartbeat is stale, the ranges written before are
// kept, and the export completes with a file equal to the unsplit export's.
func TestScaleModeSplitExportWorkerKilled(t *testing.T) {
	const users = 60_000
	t.Setenv("USERPORT_EXPORT_SPLIT_PARTS", "2")
	t.Setenv("USERPORT_EXPORT_SPLIT_MIN_USERS", "10000")
	t.Setenv("USERPORT_EXPORT_STALE_AFTER", "2s")
	t.Setenv("USERPORT_CLEANUP_INTERVAL", "1s")
	t.Setenv("USERPORT_MAX_EXPORTS_PER_TENANT", "4")
	e, c, workers := splitScaleStart(t, users)
	r := c.admin(http.MethodPost, "/jobs/users-exports", map[string]any{"format": "json"})
	r.wantStatus(t, http.StatusOK)
	var split exJob
	r.decode(t, &split)

	// The range being written, its runner, and the worker that logged
	// claiming it.
	db := e.store(t)
	var index int
	var runner string
	exPoll(t, time.Minute, "a range of the export to be written", func() bool {
		p := exportParts(t, db, split.ID, userport.JobProcessing)
		if len(p) == 0 {
			return false
		}
		index, runner = p[0].Index, p[0].Runner
		return true
	})
	victim := -1
	exPoll(t, 10*time.Second, "the claim of range "+strconv.Itoa(index)+" in a worker's log", func() bool {
		for i, w := range workers {
			if strings.Contains(w.logs.String(), "runner="+runner) {
				victim = i
			}
		}
		return victim >= 0
	})
	if err := syscall.Kill(workers[victim].cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = workers[victim].cmd.Wait()
	if p := exportParts(t, db, split.ID, "")[index]; p.Status != userport.JobProcessing || p.Runner != runner {
		t.Skipf("range %d was %s by %s by the time its worker was killed: nothing to take over", index, p.Status, p.Runner)
	}
	kept := partRunners(t, db, split.ID, userport.JobCompleted)

	r = c.admin(http.MethodPost, "/jobs/users-exports", map[string]any{"format": "json", "limit": users + 1})
	r.wantStatus(t, http.StatusOK)
	var whole exJob
	r.decode(t, &whole)
	done := scaleWaitAll(t, c, []exJob{split, whole}, 2*time.Minute)
	survivor := workers[1-victim]
	if !strings.Contains(survivor.logs.String(), "export part lost its worker; taken over") {
		t.Errorf("the export completed, but range %d was not taken over", index)
	}
	got, want := scaleDownload(t, c, done[0], e.s3Endpoint), scaleDownload(t, c, done[1], e.s3Endpoint)
	if !bytes.Equal(got, want) {
		t.Errorf("the split export's file (%d bytes) differs from the unsplit one's (%d bytes)", len(got), len(want))
	}
	// The ranges completed before the kill were not written again.
	final := partRunners(t, db, split.ID, userport.JobCompleted)
	for _, k := range kept {
		if !slices.Contains(final, k) {
			t.Errorf("range of runner %s, completed before the kill, was written again: %v", k, final)
		}
	}
}

// exportParts returns the parts of the default tenant's export id in index
// order, only those in status unless status is "".
func exportParts(t *testing.T, db *postgres.DB, id string, status userport.JobStatus) []*userport.ExportPart {
	t.Helper()
	parts, err := db.ListExportParts(t.Context(), userport.DefaultTenant, id)
	if err != nil {
		t.Fatal(err)
	}
	if status != "" {
		parts = slices.DeleteFunc(parts, func(p *userport.ExportPart) bool { return p.Status != status })
	}
	return parts
}

// partRunners returns the runners of the parts of export id in status, in
// index order.
func partRunners(t *testing.T, db *postgres.DB, id string, status userport.JobStatus) []string {
	t.Helper()
	var runners []string
	for _, p := range exportParts(t, db, id, status) {
		runners = append(runners, p.Runner)
	}
	return runners
}
