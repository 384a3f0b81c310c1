package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCLIExportFlags: the export command's flags that do not go together
// are refused before anything runs (the server named is not there).
func TestCLIExportFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	state := filepath.Join(dir, "sync.json")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--state", state}, "--state goes with --incremental: userport export --incremental --state FILE"},
		{[]string{"--state", state, "--changes-since", "c"}, "--state goes with --incremental: userport export --incremental --state FILE"},
		{[]string{"--incremental"}, "--incremental needs --state FILE, the file that keeps the cursor between runs"},
		{[]string{"--incremental", "--state", state, "--changes-since", "c"}, "give --changes-since CURSOR or --incremental --state FILE, not both"},
		{[]string{"--incremental", "--state", state, "--limit", "5"}, "--incremental takes no --limit: an export cut short has no cursor to continue from"},
		{[]string{"--incremental", "--state", dir}, "--state: cannot write " + dir + ": it is a directory"},
	}
	for _, tt := range tests {
		args := append([]string{"export", "--url", "http://127.0.0.1:1", "--token", "t", "-o", filepath.Join(dir, "x.csv.gz")}, tt.args...)
		_, _, err := cliRun(args...)
		cliOneLine(t, err, tt.want)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("refused commands wrote %v", entries)
	}
}
