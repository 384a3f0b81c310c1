package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/userport/userport"
)

func TestLoadCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(t.TempDir(), "users.ndjson")
	data := imNDJSON(`{"email":"a@example.com","user_id":"a1"}`, `{"email":"bad"}`, `{"email":"b@example.com"}`)
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	args := []string{"load", file, "--data-dir", dir, "--connection", "Migrated"}
	if err := run(context.Background(), args, &out, &errb); err != nil {
		t.Fatalf("load: %v\n%s", err, errb.String())
	}
	m := regexp.MustCompile(`^job (job_\w{16}): 3 records \(2 inserted, 0 updated, 1 failed\) into Migrated in [0-9.]+s \([0-9]+ users/s\)\n$`).
		FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("output = %q", out.String())
	}
	// The same data dir served: the users, the job and its errors are there.
	cfg := testConfig(dir)
	installTestKey(t, dir)
	b := start(t, cfg, newTestClock())
	if n := b.userCount(); n != 2 {
		t.Errorf("%d users, want 2", n)
	}
	if u := b.storedUser("auth0|a1"); u.ConnectionID != b.connection("Migrated").ID {
		t.Errorf("user in %s, want the Migrated connection", u.ConnectionID)
	}
	j := b.exJob(m[1])
	if j.Status != "completed" || *j.Summary != (userport.ImportSummary{Inserted: 2, Failed: 1, Total: 3}) {
		t.Errorf("job = %+v, summary %s", j, imSummary(j.Summary))
	}
	if codes := imCodes(b.imErrors(m[1])); len(codes) != 1 || codes[0] != "INVALID_FORMAT email" {
		t.Errorf("errors = %q", codes)
	}
	if err := b.m.Close(); err != nil {
		t.Fatal(err)
	}

	// A file that is not JSON fails, and says why.
	if err := os.WriteFile(file, []byte("email\na@example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), args, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "neither a JSON array nor NDJSON") {
		t.Errorf("load of a CSV file: %v", err)
	}
}

func TestLoadArgs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"load", "--data-dir", dir}, "name one file: userport load FILE --connection NAME"},
		{[]string{"load", "a.json", "b.json", "--data-dir", dir}, "unexpected arguments: [b.json]"},
		{[]string{"load", "a.json", "--file", "b.json", "--data-dir", dir}, "name one file: userport load FILE --connection NAME"},
		{[]string{"load", "--file", filepath.Join(dir, "none.json"), "--data-dir", dir}, "no such file or directory"},
		{[]string{"load", "a.json", "--batch-time", "0s", "--data-dir", dir}, "--batch-time 0s: give a positive duration, such as 1s"},
		{[]string{"load", "a.json", "--batch-time", "-1s", "--data-dir", dir}, "--batch-time -1s: give a positive duration"},
		{[]string{"load", "a.json", "--batch-time", "soon", "--data-dir", dir}, `invalid value "soon" for flag -batch-time`},
	} {
		_, _, err := cliRun(tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want %q", tt.args, err, tt.want)
		}
	}
}

// TestLoadNewIDs: an export loads into another connection of its tenant
// with --new-ids, where without it every user is DUPLICATED_USER (issue 25,
// case 11, for `userport load` as for `userport import`).
func TestLoadNewIDs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(t.TempDir(), "users.ndjson")
	data := imNDJSON(`{"email":"a@example.com","user_id":"a1","identities":[{"connection":"First","provider":"auth0","user_id":"a1","isSocial":false}]}`,
		`{"email":"b@example.com","user_id":"auth0|b2"}`)
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--connection", "First"}, "(2 inserted, 0 updated, 0 failed) into First"},
		{[]string{"--connection", "Copy"}, "(0 inserted, 0 updated, 2 failed) into Copy"},
		{[]string{"--connection", "Copy", "--new-ids"}, "(2 inserted, 0 updated, 0 failed) into Copy"},
	} {
		out, _, err := cliRun(append([]string{"load", file, "--data-dir", dir}, tt.args...)...)
		if err != nil || !strings.Contains(out, tt.want) {
			t.Fatalf("load %v: %v, output %q, want %q", tt.args, err, out, tt.want)
		}
	}
	installTestKey(t, dir)
	b := start(t, testConfig(dir), newTestClock())
	if n := b.userCount(); n != 4 {
		t.Errorf("%d users stored, want the 2 and their 2 copies", n)
	}
	if u := b.storedUser("auth0|a1"); u.ConnectionID != b.connection("First").ID {
		t.Errorf("auth0|a1 in %s, want the First connection (the copy has a new id)", u.ConnectionID)
	}
}
