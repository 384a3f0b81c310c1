//go:build unix

package main

// Scale mode through the built binary: one `serve --jobs none` and two
// `userport worker` processes share one PostgreSQL schema and one S3 bucket.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"github.com/tidwall/gjson"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/config"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/internal/testutil/pgtest"
	"github.com/userport/userport/internal/testutil/s3test"
	"github.com/userport/userport/postgres"
	"github.com/userport/userport/vault"
)

// scaleUsers is how many users the scale-mode test seeds.
const scaleUsers = 50_000

// scaleEnv is a PostgreSQL schema and an S3 bucket of a test's own, as the
// binary's flags name them.
type scaleEnv struct {
	databaseURL string // the test database, search_path set to the schema
	blobURL     string // s3://bucket/exports/
	s3Endpoint  string
}

// newScaleEnv creates the schema and the bucket (both removed when t ends)
// and points the binaries t starts at the S3 service; it skips t without
// USERPORT_TEST_DATABASE_URL or USERPORT_TEST_S3_ENDPOINT.
func newScaleEnv(t *testing.T) *scaleEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary and runs it on PostgreSQL and S3")
	}
	pgtest.DatabaseURL(t)
	endpoint := s3test.S3Endpoint(t)
	databaseURL := scaleDatabase(t)
	bucket := s3test.NewBucket(t, s3test.S3Client(t, endpoint))
	t.Setenv("USERPORT_S3_ENDPOINT", endpoint)
	return &scaleEnv{databaseURL: databaseURL, blobURL: "s3://" + bucket + "/exports/", s3Endpoint: endpoint}
}

// scaleDatabase creates a schema of t's own (removed when t ends), gives the
// binaries t starts a master key for the secrets sealed there, and returns
// the database URL that names the schema; it skips t without
// USERPORT_TEST_DATABASE_URL.
func scaleDatabase(t *testing.T) string {
	t.Helper()
	base, schema := pgtest.NewSchema(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", pgtest.DatabaseURLEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema) // pgx passes it to the server as a run-time parameter
	u.RawQuery = q.Encode()
	t.Setenv(config.EnvMasterKey, vault.NewMasterKey())
	return u.String()
}

// flags are the storage flags of every command of the binary.
func (e *scaleEnv) flags() []string {
	return []string{"--database-url", e.databaseURL, "--blob-url", e.blobURL}
}

// store opens the schema's store, closed when t ends.
func (e *scaleEnv) store(t *testing.T) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), e.databaseURL, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// userIDs returns the ids of the users of the default tenant.
func (e *scaleEnv) userIDs(t *testing.T) map[string]bool {
	t.Helper()
	set := make(map[string]bool)
	testutil.EachUser(t, e.store(t), userport.UserScan{Tenant: userport.DefaultTenant}, func(id string, _ []byte) {
		set[id] = true
	})
	return set
}

// riverJobs returns a function that lists River's jobs of kind whose
// arguments name the job id, through an insert-only River client over db.
func riverJobs(t *testing.T, db *postgres.DB) func(kind, id string) []*rivertype.JobRow {
	t.Helper()
	client, err := river.NewClient(riverpgxv5.New(db.Pool()), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return func(kind, id string) []*rivertype.JobRow {
		t.Helper()
		res, err := client.JobList(t.Context(), river.NewJobListParams().Kinds(kind).First(10_000))
		if err != nil {
			t.Fatal(err)
		}
		var rows []*rivertype.JobRow
		for _, j := range res.Jobs {
			if gjson.GetBytes(j.EncodedArgs, "job_id").Str == id {
				rows = append(rows, j)
			}
		}
		return rows
	}
}

// scaleStartWorker starts `userport worker` over a data dir of its own and
// waits until it runs.
func scaleStartWorker(t *testing.T, bin string, e *scaleEnv) *imProcess {
	t.Helper()
	dir := t.TempDir()
	installTestKey(t, dir)
	p := imStart(t, bin, dir, imFreeAddr(t), append([]string{"worker"}, e.flags()...)...)
	exPoll(t, 30*time.Second, "the worker to start", func() bool {
		if p.cmd.ProcessState != nil {
			t.Fatalf("the worker exited:\n%s", p.logs.String())
		}
		return strings.Contains(p.logs.String(), `msg="userport worker running"`)
	})
	return p
}

// TestScaleMode runs scale mode as an operator would: serve --jobs none and
// two workers on one PostgreSQL schema and one S3 bucket. Twenty exports,
// CSV and JSON, complete with every user and download from S3 itself; then
// the worker running an export is killed with SIGKILL, and the other worker
// takes the export over and completes it with every user.
func TestScaleMode(t *testing.T) {
	e := newScaleEnv(t)
	t.Setenv("USERPORT_RATE_LIMIT", "1000") // the test polls 20 jobs at once
	t.Setenv("USERPORT_RATE_BURST", "1000")
	t.Setenv("USERPORT_MAX_EXPORTS_PER_TENANT", "4") // two workers of two
	bin := buildUserport(t)
	start := time.Now()
	seedDir := t.TempDir()
	args := append([]string{"seed", "--data-dir", seedDir, "--users", strconv.Itoa(scaleUsers), "--quiet"}, e.flags()...)
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	t.Logf("seeded %d users in %v", scaleUsers, time.Since(start))
	ids := e.userIDs(t)
	if len(ids) != scaleUsers {
		t.Fatalf("%d users in the database after the seed, want %d", len(ids), scaleUsers)
	}

	dir, addr := t.TempDir(), imFreeAddr(t)
	installTestKey(t, dir)
	serve := imStartServe(t, bin, dir, addr, append([]string{"--jobs", "none"}, e.flags()...)...)
	workers := []*imProcess{scaleStartWorker(t, bin, e), scaleStartWorker(t, bin, e)}
	c := imClient(t, addr)

	start = time.Now()
	csvFields := []map[string]string{{"name": "user_id"}, {"name": "email"}, {"name": "created_at"}}
	var created []exJob
	for i := range 20 {
		body := map[string]any{"format": "json"}
		if i%2 == 1 {
			body = map[string]any{"format": "csv", "fields": csvFields}
		}
		r := c.admin(http.MethodPost, "/jobs/users-exports", body)
		r.wantStatus(t, http.StatusOK)
		var j exJob
		r.decode(t, &j)
		created = append(created, j)
	}
	done := scaleWaitAll(t, c, created, 90*time.Second)
	t.Logf("20 exports of %d users completed in %v", scaleUsers, time.Since(start))
	var jsonFile, csvFile []byte
	for i, j := range done {
		data := scaleDownload(t, c, j, e.s3Endpoint)
		if i%2 == 0 {
			jsonFile = scaleSame(t, jsonFile, data, j.ID)
		} else {
			csvFile = scaleSame(t, csvFile, data, j.ID)
		}
	}
	scaleCheckJSON(t, jsonFile, ids)
	scaleCheckCSV(t, csvFile, "user_id,email,created_at", ids)

	// kill -9 of the worker that runs an export: River's attempted_by names
	// the River client of its last attempt, which each worker logs.
	r := c.admin(http.MethodPost, "/jobs/users-exports", map[string]any{"format": "json"})
	r.wantStatus(t, http.StatusOK)
	var big exJob
	r.decode(t, &big)
	client := scaleRunner(t, c, e, big.ID)
	victim := slices.IndexFunc(workers, func(w *imProcess) bool {
		return strings.Contains(w.logs.String(), `client_id=`+client)
	})
	if victim < 0 {
		t.Fatalf("no worker logged the River client %s", client)
	}
	if err := syscall.Kill(workers[victim].cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = workers[victim].cmd.Wait()
	if j := c.exJob(big.ID); j.Status != "processing" {
		t.Fatalf("the export is %s right after its worker was killed; want processing", j.Status)
	}
	start = time.Now()
	j := scaleWaitAll(t, c, []exJob{big}, time.Minute)[0]
	t.Logf("completed %v after its worker was killed", time.Since(start))
	survivor := workers[1-victim]
	if !strings.Contains(survivor.logs.String(), "export lost its worker") {
		t.Errorf("the export completed, but not through the takeover:\n%s", survivor.logs.String())
	}
	scaleCheckJSON(t, scaleDownload(t, c, j, e.s3Endpoint), ids)
	if logs := serve.logs.String() + survivor.logs.String(); strings.Contains(logs, "panic") {
		t.Errorf("a process panicked:\n%s", logs)
	}
}

// scaleRunner waits for the export id to be processing and returns the
// River client that runs it.
func scaleRunner(t *testing.T, c *bundle, e *scaleEnv, id string) string {
	t.Helper()
	jobsOf := riverJobs(t, e.store(t))
	var client string
	// River marks its job running before the worker moves the export from
	// pending to processing: wait for both, or the kill could come between.
	testutil.WaitFor(t, time.Minute, "the export "+id+" to run", func() (string, bool) {
		for _, j := range jobsOf("userport_export", id) {
			if j.State == rivertype.JobStateRunning && len(j.AttemptedBy) > 0 {
				client = j.AttemptedBy[len(j.AttemptedBy)-1]
			}
		}
		status := c.exJob(id).Status
		if status == "completed" || status == "failed" {
			t.Fatalf("the export is %s before its worker could be killed", status)
		}
		return "River client " + client + ", export " + status, client != "" && status == "processing"
	})
	return client
}

// scaleWaitAll polls jobs until each is completed, failing t on a failed
// one or after timeout; it returns them in order.
func scaleWaitAll(t *testing.T, c *bundle, jobs []exJob, timeout time.Duration) []*exJob {
	t.Helper()
	done := make([]*exJob, len(jobs))
	testutil.WaitFor(t, timeout, "every export to complete", func() (string, bool) {
		left := 0
		for i, j := range jobs {
			if done[i] != nil {
				continue
			}
			switch g := c.exJob(j.ID); g.Status {
			case "completed":
				done[i] = g
			case "failed":
				t.Fatalf("export %s failed: %s", j.ID, g.StatusDetails)
			default:
				left++
			}
		}
		return fmt.Sprintf("%d of %d exports not completed", left, len(jobs)), left == 0
	})
	return done
}

// scaleDownload downloads a completed export from its location, which must
// be a presigned link of the S3 service, not of the API, with plain
// net/http: no token, no client of the test's.
func scaleDownload(t *testing.T, c *bundle, j *exJob, s3Endpoint string) []byte {
	t.Helper()
	loc, err := url.Parse(j.Location)
	if err != nil {
		t.Fatalf("location %q: %v", j.Location, err)
	}
	want, _ := url.Parse(s3Endpoint)
	if loc.Host != want.Host || loc.Host == strings.TrimPrefix(c.base, "http://") || loc.Query().Get("X-Amz-Signature") == "" {
		t.Fatalf("export %s: location %s is no presigned link of %s", j.ID, j.Location, s3Endpoint)
	}
	resp, err := http.Get(j.Location)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("download export %s: %d %v: %.200s", j.ID, resp.StatusCode, err, data)
	}
	return exGunzip(t, data)
}

// scaleSame returns got, failing t unless it equals want (nil: the first
// file of its format).
func scaleSame(t *testing.T, want, got []byte, id string) []byte {
	t.Helper()
	if want != nil && !bytes.Equal(want, got) {
		t.Errorf("export %s differs from the first export of its format (%d bytes, want %d)", id, len(got), len(want))
	}
	return got
}

// scaleCheckJSON checks an NDJSON export: one user per line, each user of
// ids exactly once.
func scaleCheckJSON(t *testing.T, file []byte, ids map[string]bool) {
	t.Helper()
	seen := make(map[string]bool, len(ids))
	sc := bufio.NewScanner(bytes.NewReader(file))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var u struct {
			UserID string `json:"user_id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &u); err != nil {
			t.Fatalf("line %d %.200q: %v", len(seen)+1, sc.Bytes(), err)
		}
		if !ids[u.UserID] || seen[u.UserID] {
			t.Fatalf("user %q is unknown or exported twice", u.UserID)
		}
		seen[u.UserID] = true
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(ids) {
		t.Errorf("the JSON export has %d users, want %d", len(seen), len(ids))
	}
}

// scaleCheckCSV checks a CSV export: the header, then one row per user of
// ids, its user_id in the first column.
func scaleCheckCSV(t *testing.T, file []byte, header string, ids map[string]bool) {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(file)).ReadAll()
	if err != nil {
		t.Fatalf("CSV export: %v", err)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != header {
		t.Fatalf("CSV header %v, want %s", slices.Concat(rows[:min(1, len(rows))]...), header)
	}
	seen := make(map[string]bool, len(ids))
	for _, r := range rows[1:] {
		// Every string cell is written behind a ' (no spreadsheet formula).
		id, ok := strings.CutPrefix(r[0], "'")
		if !ok || !ids[id] || seen[id] {
			t.Fatalf("CSV row of user %q: not a guarded cell, unknown or twice", r[0])
		}
		seen[id] = true
	}
	if len(seen) != len(ids) {
		t.Errorf("the CSV export has %d users, want %d", len(seen), len(ids))
	}
}

// TestScaleModeStartFailures starts serve on storage it cannot use: it exits
// at once with a message that says what is wrong, instead of serving or
// hanging.
func TestScaleModeStartFailures(t *testing.T) {
	e := newScaleEnv(t)
	bin := buildUserport(t)
	bucket := strings.TrimSuffix(strings.TrimPrefix(e.blobURL, "s3://"), "/exports/")
	tests := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"missing bucket", []string{"--database-url", e.databaseURL, "--blob-url", "s3://userport-no-such-bucket/exports/"}, nil,
			`bucket "userport-no-such-bucket" does not exist at ` + e.s3Endpoint},
		{"bad S3 credentials", e.flags(), []string{"AWS_SECRET_ACCESS_KEY=not-the-secret"},
			`access to bucket "` + bucket + `" at ` + e.s3Endpoint + ` denied: check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`},
		{"unreachable PostgreSQL", []string{"--database-url", "postgres://root@127.0.0.1:1/test?sslmode=disable&connect_timeout=5", "--blob-url", e.blobURL}, nil,
			"open database: open postgres: migrate: The database is not available.: failed to connect to `user=root database=test`: 127.0.0.1:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			installTestKey(t, dir)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, append([]string{"serve", "--jobs", "none", "--data-dir", dir, "--addr", imFreeAddr(t)}, tt.args...)...)
			cmd.Env = append(os.Environ(), tt.env...)
			out, err := cmd.CombinedOutput()
			if ctx.Err() != nil {
				t.Fatalf("serve still ran after 30 s:\n%s", out)
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || !strings.Contains(string(out), tt.want) {
				t.Fatalf("serve exited with %v, output:\n%s\nwant an error containing %q", err, out, tt.want)
			}
		})
	}
}
