package main

// The client commands (export, import, jobs) and the client package against
// the real server on 127.0.0.1:0.

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/client"
	"github.com/userport/userport/internal/report"
	"github.com/userport/userport/seed"
)

// cliSummary is the last line of an export: rows, file, bytes, time, job.
var cliSummary = regexp.MustCompile(`(?m)^exported (\d+) users to (.+): (\d+) bytes in [0-9.]+s \(job (job_\w{16})\)$`)

func TestCLIExport(t *testing.T) {
	t.Parallel()
	b := exStart(t, nil)
	b.putUsers(b.connection(upa), 0, 30)
	other, err := seed.EnsureConnection(b.ctx(), b.m.store, "dev", "Other", b.clock)
	if err != nil {
		t.Fatal(err)
	}
	b.putUsers(other, 100, 5)
	dir := t.TempDir()

	t.Run("CSV of every user, piped", func(t *testing.T) {
		path := filepath.Join(dir, "all.csv.gz")
		out, _, err := cliRun(b.cliArgs("export", "-o", path)...)
		if err != nil {
			t.Fatalf("export: %v", err)
		}
		m := cliSummary.FindStringSubmatch(out)
		if m == nil || m[1] != "35" || m[2] != path {
			t.Fatalf("output:\n%s", out)
		}
		lines := cliLines(t, path)
		if len(lines) != 36 || !strings.HasPrefix(lines[0], "user_id,email,") {
			t.Errorf("%d lines, header %q", len(lines), lines[0])
		}
		if st, err := os.Stat(path); err != nil || strconv.FormatInt(st.Size(), 10) != m[3] {
			t.Errorf("file size %v (%v), printed %s", st, err, m[3])
		}
		// Piped, progress is plain lines: the job's states, no bar.
		if !strings.HasPrefix(out, m[4]+" pending\n") || !strings.Contains(out, "\n"+m[4]+" completed\n") || strings.Contains(out, "\r") {
			t.Errorf("progress lines:\n%q", out)
		}
		cliNoPartFiles(t, dir)
	})
	t.Run("NDJSON of a connection by name, fields, gunzip'd", func(t *testing.T) {
		path := filepath.Join(dir, "other.ndjson")
		out, _, err := cliRun(b.cliArgs("export", "--connection", "Other", "--format", "json", "--gunzip",
			"--field", "email", "--field", "user_id=id", "-o", path)...)
		if err != nil {
			t.Fatalf("export: %v", err)
		}
		if m := cliSummary.FindStringSubmatch(out); m == nil || m[1] != "5" {
			t.Fatalf("output:\n%s", out)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		if len(lines) != 5 || lines[0] != `{"email":"user100@example.com","id":"auth0|000000000000000000000064"}` {
			t.Errorf("file:\n%s", data)
		}
	})
	t.Run("a connection by id, limited", func(t *testing.T) {
		path := filepath.Join(dir, "two.csv.gz")
		out, _, err := cliRun(b.cliArgs("export", "--connection-id", other.ID, "--limit", "2", "-o", path)...)
		if err != nil {
			t.Fatalf("export: %v", err)
		}
		if m := cliSummary.FindStringSubmatch(out); m == nil || m[1] != "2" || len(cliLines(t, path)) != 3 {
			t.Errorf("output:\n%s", out)
		}
	})
	t.Run("refused requests", func(t *testing.T) {
		tests := []struct {
			args []string
			want string
		}{
			{[]string{"--connection", "Nope"}, `no connection is named "Nope" or has that id; the tenant's connections: `},
			{[]string{"--field", "a..b"}, "server answered 400 Bad Request (invalid_body): Payload validation error: 'Invalid field path"},
			{[]string{"--format", "xml"}, `server answered 400 Bad Request (invalid_body): Payload validation error: 'No enum match for: "xml"'`},
			{[]string{"--connection-id", "con_0000000000000000"}, "server answered 400 Bad Request (inexistent_connection): The connection does not exist."},
			{[]string{"--connection", "Other", "--connection-id", other.ID}, "give --connection or --connection-id, not both"},
		}
		for _, tt := range tests {
			_, _, err := cliRun(b.cliArgs(append([]string{"export", "-o", filepath.Join(dir, "refused")}, tt.args...)...)...)
			cliOneLine(t, err, tt.want)
		}
		if _, err := os.Stat(filepath.Join(dir, "refused")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a refused export wrote its file: %v", err)
		}
	})
}

func TestCLIImport(t *testing.T) {
	t.Parallel()
	b := exStart(t, nil)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.ndjson")
	good := filepath.Join(dir, "good.json")
	write := func(path string, data []byte) {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(bad, imNDJSON(`{"email":"a@example.com"}`, `{"email":"bad"}`, `{"email":"b@example.com","password":"x"}`))
	write(good, []byte(`[{"email":"c@example.com"},{"email":"d@example.com","user_id":"d1"}]`))

	out, _, err := cliRun(b.cliArgs("import", bad, "--connection", upa)...)
	if !errors.Is(err, report.ErrUsersFailed) || err.Error() != "import job "+jobIDIn(out)+": 2 of 3 users failed" {
		t.Errorf("error = %v", err)
	}
	id := jobIDIn(out)
	for _, want := range []string{
		"job " + id + " completed: 3 records (1 inserted, 0 updated, 2 failed) into " + upa + " in ",
		"USER  ", "bad            INVALID_FORMAT ", "b@example.com  OBJECT_ADDITIONAL_PROPERTIES  password",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// With --json: one JSON object on stdout, progress on stderr.
	out, errOut, err := cliRun(b.cliArgs("import", "--json", bad, "--connection", upa, "--upsert", "--external-id", "ext-1")...)
	if !errors.Is(err, report.ErrUsersFailed) {
		t.Errorf("error = %v", err)
	}
	var doc struct {
		Job    client.Job             `json:"job"`
		Errors []userport.ImportError `json:"errors"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	if doc.Job.ExternalID != "ext-1" || doc.Job.Summary == nil || *doc.Job.Summary != (userport.ImportSummary{Updated: 1, Failed: 2, Total: 3}) ||
		len(doc.Errors) != 2 || doc.Errors[1].Errors[0].Code != "OBJECT_ADDITIONAL_PROPERTIES" {
		t.Errorf("--json output:\n%s", out)
	}
	if !strings.Contains(errOut, doc.Job.ID+" completed\n") {
		t.Errorf("stderr:\n%s", errOut)
	}

	// Every user imported: exit 0, no table.
	out, _, err = cliRun(b.cliArgs("import", good, "--connection-id", b.connection(upa).ID)...)
	clean := jobIDIn(out)
	if err != nil || !strings.Contains(out, "2 records (2 inserted, 0 updated, 0 failed)") || strings.Contains(out, "USER") {
		t.Errorf("import: %v\n%s", err, out)
	}
	if b.storedUser("auth0|d1") == nil {
		t.Error("no user d1")
	}

	// Refused before any upload.
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "--connection", upa}, "name the file: userport import FILE --connection NAME"},
		{[]string{"import", good}, "give --connection NAME or --connection-id ID"},
		{[]string{"import", filepath.Join(dir, "none.json"), "--connection", upa}, "no such file or directory"},
		{[]string{"import", good, "--connection", "Nope"}, `no connection is named "Nope" or has that id; the tenant's connections: `},
		{[]string{"import", good, "--connection-id", "con_0000000000000000"}, "server answered 400 Bad Request (inexistent_connection)"},
	} {
		_, _, err := cliRun(b.cliArgs(tt.args...)...)
		cliOneLine(t, err, tt.want)
	}

	t.Run("jobs get and errors", func(t *testing.T) {
		out, _, err := cliRun(b.cliArgs("jobs", "get", id)...)
		var j client.Job
		if err != nil || json.Unmarshal([]byte(out), &j) != nil || j.ID != id || j.Type != "users_import" || j.Summary.Failed != 2 {
			t.Errorf("jobs get: %v\n%s", err, out)
		}
		out, _, err = cliRun(b.cliArgs("jobs", "errors", id)...)
		if err != nil || !strings.Contains(out, "bad            INVALID_FORMAT ") || len(strings.Split(strings.TrimSpace(out), "\n")) != 3 {
			t.Errorf("jobs errors: %v\n%s", err, out)
		}
		out, _, err = cliRun(b.cliArgs("jobs", "errors", "--json", id)...)
		var errs []userport.ImportError
		if err != nil || json.Unmarshal([]byte(out), &errs) != nil || len(errs) != 2 {
			t.Errorf("jobs errors --json: %v\n%s", err, out)
		}
		out, _, err = cliRun(b.cliArgs("jobs", "errors", clean)...)
		if err != nil || out != "job "+clean+" has no per-user errors\n" {
			t.Errorf("jobs errors of a clean import: %v\n%s", err, out)
		}
		_, _, err = cliRun(b.cliArgs("jobs", "get", "job_aaaaaaaaaaaaaaaa")...)
		cliOneLine(t, err, "get job job_aaaaaaaaaaaaaaaa: server answered 404 Not Found (inexistent_job): The job does not exist.")
		_, _, err = cliRun(b.cliArgs("jobs", "get")...)
		cliOneLine(t, err, "userport jobs get: want 1 argument(s), got 0")
	})
}

// jobIDIn returns the first job id in s.
func jobIDIn(s string) string {
	return regexp.MustCompile(`job_[A-Za-z0-9]{16}`).FindString(s)
}

// The commands' errors of a refused credential and of a server that is
// down, one line each (the client package's errors: httpapi/client_test.go).
func TestCLIClientErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, _, err := cliRun("jobs", "list", "--url", b.base, "--client-id", b.id, "--client-secret", "wrong-secret")
	cliOneLine(t, err, "server answered 401 Unauthorized (access_denied)")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	_, _, err = cliRun("export", "--url", "http://"+addr, "--token", "t")
	cliOneLine(t, err, "create the export: cannot reach "+addr+": dial tcp "+addr+": connect: connection refused")
}

// With no credentials, the client commands use the data dir's admin client.
func TestCLIAdminClientFile(t *testing.T) { // not parallel: it sets USERPORT_URL
	dir := t.TempDir()
	installTestKey(t, dir)
	cfg := testConfig(dir)
	cfg.AdminClientID, cfg.AdminClientSecret = "", ""
	b := start(t, cfg, newTestClock())
	b.putUsers(b.connection(upa), 0, 2)
	t.Setenv("USERPORT_URL", b.base) // the env twin of --url
	out, _, err := cliRun("export", "--data-dir", dir, "--poll-interval", "10ms", "-o", filepath.Join(t.TempDir(), "x.csv.gz"))
	if m := cliSummary.FindStringSubmatch(out); err != nil || m == nil || m[1] != "2" {
		t.Errorf("export: %v\n%s", err, out)
	}
	_, _, err = cliRun("export", "--data-dir", t.TempDir())
	cliOneLine(t, err, "no credentials: give --token, or --client-id and --client-secret")
}

func TestCLIJobsList(t *testing.T) {
	t.Parallel()
	b := exStart(t, nil)
	var ids []string
	for range 3 {
		b.clock.Advance(time.Second) // newest first needs distinct times
		ids = append(ids, b.exCreate(`{"format":"csv"}`).ID)
	}
	out, _, err := cliRun(b.cliArgs("jobs", "list", "--per-page", "2")...)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if err != nil || len(lines) != 4 || !strings.HasPrefix(lines[0], "ID ") || !strings.HasPrefix(lines[1], ids[2]+"  users_export  ") ||
		!strings.HasPrefix(lines[2], ids[1]+"  ") || lines[3] != "jobs 1-2 of 3" {
		t.Errorf("jobs list: %v\n%s", err, out)
	}
	out, _, err = cliRun(b.cliArgs("jobs", "list", "--per-page", "2", "--page", "1", "--json")...)
	var p client.JobPage
	if err != nil || json.Unmarshal([]byte(out), &p) != nil || p.Start != 2 || p.Total != 3 || p.Length != 1 || len(p.Jobs) != 1 || p.Jobs[0].ID != ids[0] {
		t.Errorf("jobs list --json: %v\n%s", err, out)
	}
	out, _, err = cliRun(b.cliArgs("jobs", "list", "--page", "5")...)
	if err != nil || !strings.HasSuffix(out, "no jobs here (3 in all)\n") {
		t.Errorf("jobs list of an empty page: %v\n%s", err, out)
	}
	_, _, err = cliRun(b.cliArgs("jobs", "list", "--per-page", "101")...)
	cliOneLine(t, err, "list jobs: server answered 400 Bad Request (invalid_query_string)")
}
