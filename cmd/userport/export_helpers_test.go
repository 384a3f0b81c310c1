package main

// Helpers of the export end-to-end tests (export_*_test.go). Their names start
// with "ex" so that they do not collide with the other test files' helpers.
//
// The tests check exported files against a reference model written here from
// the contract (shared/spec/users-export-api.md section 5), independently of
// the encode package: exPathValue resolves a field path over a stored
// document, exCSVCell applies Auth0's cell rules, exNDJSONLine builds the
// nested NDJSON object.

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
)

// exJobIDPattern is the shape of a job id.
var exJobIDPattern = regexp.MustCompile(`^job_[A-Za-z0-9]{16}$`)

// exConfig is testConfig on a new data dir with the shared key, polling for
// jobs often so that the tests do not wait.
func exConfig(t *testing.T) Config {
	t.Helper()
	dir := t.TempDir()
	installTestKey(t, dir)
	cfg := testConfig(dir)
	cfg.PollInterval = 20 * time.Millisecond
	return cfg
}

// exStart starts a server on exConfig changed by edit (nil: unchanged).
func exStart(t *testing.T, edit func(*Config)) *bundle {
	t.Helper()
	cfg := exConfig(t)
	if edit != nil {
		edit(&cfg)
	}
	return start(t, cfg, newTestClock())
}

// exPost sends POST /api/v2/jobs/users-exports as the Auth0 page's curl does:
// the body verbatim, lower-case header names.
func (b *bundle) exPost(body string) *response {
	b.t.Helper()
	if b.all == "" {
		b.all = b.token()
	}
	req, err := http.NewRequest(http.MethodPost, b.base+"/api/v2/jobs/users-exports", strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header["authorization"] = []string{"Bearer " + b.all}
	req.Header["content-type"] = []string{"application/json"}
	return b.send(req)
}

// exJob is a job, an export or an import, as GET /api/v2/jobs/{id} shows it.
type exJob = testutil.Job

// exDecodeJob decodes a job body, keeping numbers as written.
func exDecodeJob(t *testing.T, body []byte) *exJob { t.Helper(); return testutil.DecodeJob(t, body) }

// exCreate posts body and returns the created job, failing unless the answer
// is 200.
func (b *bundle) exCreate(body string) *exJob {
	b.t.Helper()
	r := b.exPost(body)
	r.wantStatus(b.t, http.StatusOK)
	j := exDecodeJob(b.t, r.body)
	if !exJobIDPattern.MatchString(j.ID) {
		b.t.Fatalf("job id %q does not match %s", j.ID, exJobIDPattern)
	}
	return j
}

// exJob reads the job through the API, failing unless the answer is 200.
func (b *bundle) exJob(id string) *exJob {
	b.t.Helper()
	r := b.admin(http.MethodGet, "/jobs/"+id, nil)
	r.wantStatus(b.t, http.StatusOK)
	return exDecodeJob(b.t, r.body)
}

// exWait polls the job until it is completed, failed or expired.
func (b *bundle) exWait(id string) *exJob { b.t.Helper(); return b.waitJob(id, 60*time.Second) }

// waitJob polls the job until it is completed, failed or expired, failing
// after timeout.
func (b *bundle) waitJob(id string, timeout time.Duration) *exJob {
	b.t.Helper()
	var j *exJob
	testutil.WaitFor(b.t, timeout, "job "+id+" to end", func() (string, bool) {
		j = b.exJob(id)
		switch j.Status {
		case "completed", "failed", "expired":
			return j.Status, true
		case "pending", "processing":
			return j.Status, false
		}
		b.t.Fatalf("job %s has status %q", id, j.Status)
		return "", false
	})
	return j
}

// exCompleted waits for the job and fails unless it completed.
func (b *bundle) exCompleted(id string) *exJob {
	b.t.Helper()
	j := b.exWait(id)
	if j.Status != "completed" {
		b.t.Fatalf("job %s: status %s (%s), want completed", id, j.Status, j.StatusDetails)
	}
	return j
}

// exFetch sends GET to an absolute URL without credentials.
func (b *bundle) exFetch(url string) *response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.send(req)
}

// exDownload downloads a completed job's file and returns it gunzipped,
// checking the headers of the download.
func (b *bundle) exDownload(j *exJob) []byte {
	b.t.Helper()
	r := b.exFetch(j.Location)
	if r.status != http.StatusOK {
		b.t.Fatalf("download %s: %d %s", j.Location, r.status, r.body)
	}
	name := "dev." + j.Format + ".gz"
	exWantHeader(b.t, r, "Content-Type", "application/gzip")
	exWantHeader(b.t, r, "Content-Disposition", `attachment; filename="`+name+`"`)
	exWantHeader(b.t, r, "Content-Encoding", "")
	return exGunzip(b.t, r.body)
}

// exWantHeader fails unless the response header name is want.
func exWantHeader(t *testing.T, r *response, name, want string) {
	t.Helper()
	if got := r.header.Get(name); got != want {
		t.Errorf("%s = %q, want %q", name, got, want)
	}
}

// exGunzip decompresses a whole gzip file.
func exGunzip(t *testing.T, data []byte) []byte { return testutil.Gunzip(t, data) }

// exStoredJob reads a job from the store.
func (b *bundle) exStoredJob(id string) (*userport.Job, error) {
	return b.m.store.FindJob(b.ctx(), b.m.Config.Tenant, id)
}

// exPutProfiles writes profiles straight into the store, in connection conn.
func (b *bundle) exPutProfiles(conn *userport.Connection, profiles ...*userport.Profile) {
	b.t.Helper()
	users := make([]*userport.User, len(profiles))
	for i, p := range profiles {
		u, err := userport.UserFromProfile(b.m.Config.Tenant, conn.ID, "", p)
		if err != nil {
			b.t.Fatal(err)
		}
		users[i] = u
	}
	if err := b.m.store.CreateUsers(b.ctx(), users...); err != nil {
		b.t.Fatal(err)
	}
}

// exSeedTemplate seeds n users with `userport seed` into a new data dir and
// returns it; exFromTemplate copies its database for each server.
func exSeedTemplate(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	installTestKey(t, dir)
	var out, errb bytes.Buffer
	args := []string{"seed", "--data-dir", dir, "--users", strconv.Itoa(n), "--quiet"}
	if err := run(context.Background(), args, &out, &errb); err != nil {
		t.Fatalf("userport seed: %v; stderr: %s", err, errb.String())
	}
	return dir
}

// exFromTemplate returns the configuration of a server over a copy of the
// template's database.
func exFromTemplate(t *testing.T, tmpl string) Config {
	t.Helper()
	cfg := exConfig(t)
	for _, suffix := range []string{"", "-wal", "-shm"} {
		src := filepath.Join(tmpl, "userport.db"+suffix)
		data, err := os.ReadFile(src)
		if os.IsNotExist(err) && suffix != "" {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(cfg.DataDir, "userport.db"+suffix), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return cfg
}

// exPoll calls fn every few milliseconds until it returns true, failing
// after timeout.
func exPoll(t *testing.T, timeout time.Duration, what string, fn func() bool) {
	t.Helper()
	testutil.Eventually(t, timeout, what, fn)
}

// exMust fails on err.
func exMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
