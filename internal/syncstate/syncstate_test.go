package syncstate_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport/client"
	"github.com/userport/userport/internal/syncstate"
)

func TestCheckFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		incremental  bool
		state, since string
		limit        int
		want         string
	}{
		{false, "", "", 0, ""},
		{false, "", "c1", 10, ""},
		{true, "s.json", "", 0, ""},
		{false, "s.json", "", 0, "--state goes with --incremental: userport export --incremental --state FILE"},
		{false, "s.json", "c1", 0, "--state goes with --incremental: userport export --incremental --state FILE"},
		{true, "", "", 0, "--incremental needs --state FILE, the file that keeps the cursor between runs"},
		{true, "s.json", "c1", 0, "give --changes-since CURSOR or --incremental --state FILE, not both"},
		{true, "s.json", "", 5, "--incremental takes no --limit: an export cut short has no cursor to continue from"},
	}
	for _, tt := range tests {
		err := syncstate.CheckFlags(tt.incremental, tt.state, tt.since, tt.limit)
		if got := errString(err); got != tt.want {
			t.Errorf("CheckFlags(%v, %q, %q, %d) = %q, want %q", tt.incremental, tt.state, tt.since, tt.limit, got, tt.want)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestSaveLoad: no file is the first run; a saved state reads back, mode
// 0600, with no temporary file left.
func TestSaveLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "sync.json")
	s, err := syncstate.Load(path)
	if s != nil || err != nil {
		t.Fatalf("Load of no file = %v, %v; want nil, nil", s, err)
	}
	want := syncstate.State{Cursor: "c1", JobID: "job_1", URL: "http://127.0.0.1:1", ExportedAt: time.Date(2026, 12, 7, 1, 2, 3, 0, time.UTC),
		File: "x.csv.gz", Rows: 10, Tombstones: 2}
	for range 2 { // the second replaces the first
		if err := syncstate.Save(path, want); err != nil {
			t.Fatal(err)
		}
	}
	got, err := syncstate.Load(path)
	if err != nil || !reflect.DeepEqual(*got, want) {
		t.Errorf("Load = %+v, %v; want %+v", got, err, want)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the state file's mode: %v, %v; want 0600", st.Mode(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files in the directory: %v", entries)
	}
}

func TestLoadRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	notState := "is not a state file of userport export --incremental (no cursor in it): delete it, or give another --state, to take a full export"
	tests := []struct{ path, want string }{
		{write("garbage", "{"), filepath.Join(dir, "garbage") + " " + notState},
		{write("nocursor", `{"job_id":"job_1"}`), filepath.Join(dir, "nocursor") + " " + notState},
		{dir, "--state: cannot write " + dir + ": it is a directory"},
		{filepath.Join(dir, "no", "such"), "--state: cannot write " + filepath.Join(dir, "no", "such") + ": no directory " + filepath.Join(dir, "no")},
	}
	for _, tt := range tests {
		s, err := syncstate.Load(tt.path)
		if s != nil || errString(err) != tt.want {
			t.Errorf("Load(%s) = %v, %v; want %q", tt.path, s, err, tt.want)
		}
	}
}

func TestRefused(t *testing.T) {
	t.Parallel()
	refusal := &client.Error{StatusCode: 400, ErrorCode: "invalid_body", Message: "The cursor is past the tombstone retention: take a full export."}
	err := syncstate.Refused(refusal, "sync.json")
	if !errors.Is(err, refusal) || !strings.HasPrefix(err.Error(), "the server refused the cursor kept in sync.json, which was not changed: "+
		"delete sync.json (or move it away) and run again to take a full export") || !strings.HasSuffix(err.Error(), refusal.Error()) {
		t.Errorf("Refused of the state file's cursor: %v", err)
	}
	err = syncstate.Refused(refusal, "")
	if !errors.Is(err, refusal) || !strings.HasPrefix(errString(err), "the server refused the cursor of --changes-since: take a full export, without --changes-since, and continue from its cursor") {
		t.Errorf("Refused of --changes-since: %v", err)
	}
	other := &client.Error{StatusCode: 400, Message: "q: unexpected end at position 3"}
	if err := syncstate.Refused(other, "sync.json"); err != error(other) {
		t.Errorf("Refused of another error: %v", err)
	}
}
