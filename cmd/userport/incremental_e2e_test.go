package main

// `userport export --incremental --state FILE`, --q and `jobs manifest`
// against the real server: a full export, then one of the changes only
// (updated and created users, tombstones of the deleted), and a cursor the
// server refuses.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/syncstate"
)

// readState reads the state file at path, failing the test unless it is
// one, mode 0600.
func readState(t *testing.T, path string) syncstate.State {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("no state file: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("the state file's mode is %v, want 0600", st.Mode().Perm())
	}
	s, err := syncstate.Load(path)
	if err != nil || s == nil {
		t.Fatalf("read the state file: %v", err)
	}
	return *s
}

// ndjsonLines returns the lines of the NDJSON file at path, decoded.
func ndjsonLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for line := range strings.Lines(string(data)) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func TestCLIIncrementalExport(t *testing.T) {
	t.Parallel()
	b := exStart(t, nil)
	ids := b.putUsers(b.connection(upa), 0, 20)
	dir := t.TempDir()
	state := filepath.Join(dir, "sync.json")
	export := func(file string, extra ...string) (string, string, error) {
		args := append([]string{"export", "--incremental", "--state", state, "--format", "json", "-o", filepath.Join(dir, file)}, extra...)
		return cliRun(b.cliArgs(args...)...)
	}

	// The first run: no state file, a full export, its cursor kept.
	out, _, err := export("full.ndjson.gz")
	if err != nil {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	if !strings.HasPrefix(out, "no state file "+state+" yet: a full export, whose cursor it will keep\n") ||
		!strings.Contains(out, "\nexported 20 users to "+filepath.Join(dir, "full.ndjson.gz")) ||
		!strings.Contains(out, "; rows 20, tombstones 0\n") || !strings.HasSuffix(out, "kept the cursor in "+state+": the next run exports what changed since\n") {
		t.Errorf("first run's output:\n%s", out)
	}
	first := readState(t, state)
	if first.Cursor == "" || first.Rows != 20 || first.Tombstones != 0 || first.JobID != jobIDIn(out) || first.URL != b.base {
		t.Errorf("state after the first run: %+v", first)
	}
	if !strings.Contains(out, "\ncursor: "+first.Cursor+"\n") {
		t.Errorf("the summary does not print the cursor %s:\n%s", first.Cursor, out)
	}
	// jobs manifest: the cursor kept, the sha256 of the file downloaded.
	mout, _, err := cliRun(b.cliArgs("jobs", "manifest", first.JobID)...)
	var m userport.ExportManifest
	if err != nil || json.Unmarshal([]byte(mout), &m) != nil {
		t.Fatalf("jobs manifest: %v\n%s", err, mout)
	}
	gz, _ := os.ReadFile(filepath.Join(dir, "full.ndjson.gz"))
	sum := sha256.Sum256(gz)
	if m.Cursor == nil || *m.Cursor != first.Cursor || m.SHA256 != hex.EncodeToString(sum[:]) || m.Bytes != int64(len(gz)) || m.Rows != 20 {
		t.Errorf("jobs manifest: %s", mout)
	}

	// Changes: two users updated, three deleted, one created.
	for _, id := range ids[:2] {
		b.admin(http.MethodPatch, "/users/"+url.PathEscape(id), map[string]any{"name": "changed"}).wantStatus(t, http.StatusOK)
	}
	for _, id := range ids[5:8] {
		b.admin(http.MethodDelete, "/users/"+url.PathEscape(id), nil).wantStatus(t, http.StatusNoContent)
	}
	created := b.putUsers(b.connection(upa), 100, 1)

	out, _, err = export("changes.ndjson", "--gunzip")
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	if !strings.HasPrefix(out, "exporting the changes since job "+first.JobID+" of ") ||
		!strings.Contains(out, "\nexported 3 users and 3 tombstones to ") {
		t.Errorf("second run's output:\n%s", out)
	}
	var live, gone []string
	for _, line := range ndjsonLines(t, filepath.Join(dir, "changes.ndjson")) {
		id, _ := line["user_id"].(string)
		if at, ok := line["deleted_at"].(string); ok {
			if _, err := time.Parse(time.RFC3339, at); err != nil || len(line) != 2 {
				t.Errorf("tombstone %v", line)
			}
			gone = append(gone, id)
			continue
		}
		if len(gone) > 0 {
			t.Errorf("user %s after a tombstone: the live users come first", id)
		}
		live = append(live, id)
	}
	slices.Sort(live)
	slices.Sort(gone)
	if want := append(slices.Clone(ids[:2]), created...); !slices.Equal(live, want) || !slices.Equal(gone, ids[5:8]) {
		t.Errorf("the changes hold users %v and tombstones %v; want %v and %v", live, gone, want, ids[5:8])
	}
	second := readState(t, state)
	if second.Cursor == first.Cursor || second.Rows != 3 || second.Tombstones != 3 {
		t.Errorf("state after the second run: %+v", second)
	}

	// A cursor the server refuses (tampered with): a message that says to
	// delete the state file; the state file is left as it was, no file is
	// written.
	tampered := second
	tampered.Cursor = tampered.Cursor[:len(tampered.Cursor)-2] + "AA"
	if tampered.Cursor == second.Cursor {
		tampered.Cursor = tampered.Cursor[:len(tampered.Cursor)-2] + "BB"
	}
	if err := syncstate.Save(state, tampered); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(state)
	_, _, err = export("refused.ndjson.gz")
	if err == nil || !strings.Contains(err.Error(), "server answered 400 Bad Request (invalid_body)") ||
		!strings.Contains(err.Error(), "the server refused the cursor kept in "+state+", which was not changed: delete "+state+" (or move it away) and run again to take a full export") {
		t.Errorf("a tampered cursor: %v", err)
	}
	if after, _ := os.ReadFile(state); string(after) != string(before) {
		t.Errorf("a refused run changed the state file:\n%s", after)
	}
	if _, err := os.Stat(filepath.Join(dir, "refused.ndjson.gz")); !os.IsNotExist(err) {
		t.Errorf("a refused run wrote its file: %v", err)
	}
	// Past the tombstone retention (30 days by default), the cursor kept is
	// refused too; --changes-since says to take a full export.
	if err := syncstate.Save(state, second); err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(31 * 24 * time.Hour)
	_, _, err = export("late.ndjson.gz")
	if err == nil || !strings.Contains(err.Error(), "delete "+state) {
		t.Errorf("a cursor past the retention: %v", err)
	}
	_, _, err = cliRun(b.cliArgs("export", "--changes-since", second.Cursor, "-o", filepath.Join(dir, "late2.ndjson.gz"))...)
	if err == nil || !strings.Contains(err.Error(), "take a full export, without --changes-since, and continue from its cursor") {
		t.Errorf("--changes-since past the retention: %v", err)
	}
	cliNoPartFiles(t, dir)
}

// TestCLIFilteredExport: --q selects the users; a bad query is the
// server's 400, with its position; the summary warns of a field no user
// had.
func TestCLIFilteredExport(t *testing.T) {
	t.Parallel()
	b := exStart(t, nil)
	b.putUsers(b.connection(upa), 0, 12)
	dir := t.TempDir()
	path := filepath.Join(dir, "one.ndjson")
	out, errOut, err := cliRun(b.cliArgs("export", "-q", `email:"user3@example.com" OR email:"user7@example.com"`, "--gunzip", "-o", path,
		"--field", "user_id", "--field", "email", "--field", "app_metadata.plan=plan")...)
	if err != nil {
		t.Fatalf("export -q: %v\n%s", err, out)
	}
	lines := ndjsonLines(t, path)
	var emails []string
	for _, l := range lines {
		emails = append(emails, l["email"].(string))
	}
	slices.Sort(emails)
	if !slices.Equal(emails, []string{"user3@example.com", "user7@example.com"}) {
		t.Errorf("export -q wrote %v", emails)
	}
	if !strings.Contains(out, "\nq: email:\"user3@example.com\" OR email:\"user7@example.com\"\n") ||
		!strings.Contains(out, "\nusers with a value, per field: user_id 2, email 2, plan 0\n") {
		t.Errorf("export -q's summary:\n%s", out)
	}
	if !strings.Contains(errOut, "warning: no user of the export had a value for the field plan: its column is empty") {
		t.Errorf("no warning of the empty column plan; stderr:\n%s", errOut)
	}
	_, _, err = cliRun(b.cliArgs("export", "-q", "email:(", "-o", filepath.Join(dir, "bad.csv.gz"))...)
	if err == nil || !strings.Contains(err.Error(), "server answered 400 Bad Request (invalid_body)") || !strings.Contains(err.Error(), "position") ||
		strings.Contains(err.Error(), "delete") {
		t.Errorf("a bad query: %v", err)
	}
}
