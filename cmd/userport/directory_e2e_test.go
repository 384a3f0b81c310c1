package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/userport/userport/client"
)

// TestCLIDirectory: users list, get and search, connections list, and an
// export whose --connection is an id (issue 25, case 7).
func TestCLIDirectory(t *testing.T) {
	t.Parallel()
	b := exStart(t, nil)
	conn := b.connection(upa)
	ids := b.putUsers(conn, 0, 3)
	tests := []struct {
		name  string
		args  []string
		lines []string // prefixes of the lines of stdout, in order
	}{
		{"users list", []string{"users", "list", "--per-page", "2"},
			[]string{"USER ID ", ids[0] + "  user0@example.com  " + upa + "  ", ids[1] + "  ", "users 1-2 of 3"}},
		{"users list, an empty page", []string{"users", "list", "--page", "7"}, []string{"USER ID ", "no users here (3 in all)"}},
		{"users search", []string{"users", "search", `email:"user2@example.com"`}, []string{"USER ID ", ids[2] + "  user2@example.com", "users 1-1 of 1"}},
		{"connections list", []string{"connections", "list"}, []string{"ID ", conn.ID + "  " + upa + "  auth0"}},
	}
	for _, tt := range tests {
		out, _, err := cliRun(b.cliArgs(tt.args...)...)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if err != nil || len(lines) != len(tt.lines) {
			t.Errorf("%s: %v\n%s", tt.name, err, out)
			continue
		}
		for i, want := range tt.lines {
			if !strings.HasPrefix(lines[i], want) {
				t.Errorf("%s: line %d = %q, want it to start with %q", tt.name, i+1, lines[i], want)
			}
		}
	}
	out, _, err := cliRun(b.cliArgs("users", "get", ids[1])...)
	var u struct{ UserID, Email string }
	if err != nil || json.Unmarshal([]byte(out), &u) != nil || u.Email != "user1@example.com" {
		t.Errorf("users get: %v\n%s", err, out)
	}
	out, _, err = cliRun(b.cliArgs("users", "search", "--json", "email:user*")...)
	var p client.UserPage
	if err != nil || json.Unmarshal([]byte(out), &p) != nil || p.Total != 3 || len(p.Users) != 3 {
		t.Errorf("users search --json: %v\n%s", err, out)
	}
	_, _, err = cliRun(b.cliArgs("users", "get", "auth0|nobody")...)
	cliOneLine(t, err, "get user auth0|nobody: server answered 404 Not Found (inexistent_user)")
	_, _, err = cliRun(b.cliArgs("users", "frobnicate")...)
	cliOneLine(t, err, `unknown users command "frobnicate"`)
	out, _, err = cliRun(b.cliArgs("export", "--connection", conn.ID, "-o", filepath.Join(t.TempDir(), "by-id.csv.gz"))...)
	if m := cliSummary.FindStringSubmatch(out); err != nil || m == nil || m[1] != "3" {
		t.Errorf("export --connection ID: %v\n%s", err, out)
	}
}
