package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/userport/userport/internal/help"
)

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"help", "help"}} {
		out, _, err := cliRun(args...)
		if err != nil || !strings.Contains(out, "userport export [flags]") || !strings.Contains(out, "userport load FILE") {
			t.Errorf("%v: %v\n%s", args, err, out)
		}
	}
	// Every command's help, by -h, --help or help COMMAND, exits 0 and
	// lists its flags with their environment twins, on stdout.
	commands := map[string][]string{
		"serve": {"--addr", "USERPORT_ADDR"}, "worker": {"--data-dir"}, "token": {"--scopes"},
		"seed": {"--users"}, "bench": {"--users"}, "loadtest": {"--duration"}, "load": {"--connection", "USERPORT_DATA_DIR"},
		"export":           {"--connection-id", "--field", "--gunzip", "USERPORT_URL", "USERPORT_CLIENT_ID", "USERPORT_CLIENT_SECRET", "USERPORT_TOKEN"},
		"import":           {"--upsert", "--external-id", "--json", "--new-ids", "USERPORT_URL"},
		"jobs get":         {"Usage: userport jobs get ID", "USERPORT_TOKEN"},
		"jobs list":        {"--per-page", "USERPORT_URL"},
		"jobs errors":      {"--json", "USERPORT_CLIENT_ID"},
		"jobs":             {"Usage: userport jobs get|errors|manifest ID | list", "userport jobs list [flags]", "userport jobs errors ID [flags]", "userport jobs manifest ID [flags]"},
		"version":          {"Usage: userport version"},
		"users":            {"Usage: userport users list | get ID | search QUERY"},
		"users list":       {"-per-page", "-json", "USERPORT_URL"},
		"users search":     {"Usage: userport users search QUERY", "-page", "USERPORT_TOKEN"},
		"users get":        {"Usage: userport users get ID", "USERPORT_CLIENT_ID"},
		"connections":      {"Usage: userport connections list"},
		"connections list": {"-json", "USERPORT_URL"},
	}
	for cmd, want := range commands {
		for _, args := range [][]string{append(strings.Fields(cmd), "-h"), append(strings.Fields(cmd), "--help"), append([]string{"help"}, strings.Fields(cmd)...)} {
			out, errOut, err := cliRun(args...)
			if err != nil || errOut != "" {
				t.Errorf("%v: %v, stderr %q", args, err, errOut)
			}
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("%v: help lacks %q:\n%s", args, w, out)
				}
			}
		}
	}
	for _, args := range [][]string{{"nope"}, {"help", "nope"}} {
		if _, _, err := cliRun(args...); err == nil || err.Error() != `unknown command "nope"` {
			t.Errorf("%v: %v", args, err)
		}
	}
	for _, args := range [][]string{{"version"}, {"--version"}, {"-v"}} {
		out, _, err := cliRun(args...)
		if err != nil || !strings.HasPrefix(out, "userport ") || !strings.Contains(out, "go1.") {
			t.Errorf("%v: %v %q", args, err, out)
		}
	}
}

// TestEveryCommandsHelp: the help of every command of the table, and of
// every subcommand, is on stdout (so `help export | grep` works), in the
// one rendering: a usage line, flags in their groups (only the groups
// that have some: no empty Flags section), never Go's raw "Usage of".
func TestEveryCommandsHelp(t *testing.T) {
	t.Parallel()
	groups := map[string][]string{ // the groups each command's help shows, in order
		"serve": {"Store flags", "Server flags"}, "worker": {"Flags:", "Store flags", "Server flags"},
		"token":  {"Flags:", "Store flags", "Server flags"},
		"export": {"Flags:", "Client flags"}, "import": {"Flags:", "Client flags"},
		"jobs list": {"Flags:", "Client flags"}, "jobs get": {"Client flags"},
		"seed": {"Flags:", "Store flags"}, "load": {"Flags:", "Store flags"}, "keys list": {"Flags:", "Store flags"},
		"login": {"Client flags"}, "version": nil, "logout": nil, "completion": nil,
	}
	for _, c := range commands {
		if c.Run == nil {
			continue // help, which has no flags
		}
		for _, key := range help.Keys(c.Command) {
			if key == "keys new-master-key" {
				continue // prints a key: it takes no flags
			}
			out, errOut, err := cliRun(append([]string{"help"}, strings.Fields(key)...)...)
			if err != nil || errOut != "" || !strings.HasPrefix(out, "Usage: userport "+key) || strings.Contains(out, "Usage of") {
				t.Errorf("help %s: %v, stderr %q, stdout:\n%s", key, err, errOut, out)
			}
			if strings.Contains(out, ":\n\n") || strings.HasSuffix(out, ":\n") {
				t.Errorf("help %s has an empty section:\n%s", key, out)
			}
			want, ok := groups[key]
			if !ok {
				continue
			}
			var got []string
			for _, line := range strings.Split(out, "\n") {
				if strings.HasSuffix(line, ":") || strings.Contains(line, "flags (") {
					got = append(got, line)
				}
			}
			if len(got) != len(want) {
				t.Errorf("help %s: sections %q, want %q", key, got, want)
				continue
			}
			for i := range want {
				if !strings.HasPrefix(got[i], want[i]) {
					t.Errorf("help %s: sections %q, want %q", key, got, want)
				}
			}
		}
	}
	// token shows the settings a token depends on, not the server's others.
	out, _, _ := cliRun("help", "token")
	for _, flag := range []string{"--workers", "--rate-limit", "--max-import-bytes", "--idle-timeout"} {
		if strings.Contains(out, flag) {
			t.Errorf("help token lists %s:\n%s", flag, out)
		}
	}
	if out, _, _ := cliRun("help", "export"); strings.Contains(out, "Server flags") || strings.Contains(out, "--addr") {
		t.Errorf("help export lists server flags:\n%s", out)
	}
}

// TestCompletion: each shell's script names every command and the flags
// of each; another shell is refused.
func TestCompletion(t *testing.T) {
	t.Parallel()
	for _, shell := range []string{"bash", "zsh", "fish"} {
		out, _, err := cliRun("completion", shell)
		if err != nil {
			t.Fatalf("%s: %v", shell, err)
		}
		for _, want := range []string{"export", "login", "jobs", "errors", "per-page", "connection-id", "scopes", "addr"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s script lacks %q", shell, want)
			}
		}
		if bin, err := exec.LookPath(shell); err == nil && shell != "fish" { // the script parses
			cmd := exec.Command(bin, "-n")
			cmd.Stdin = strings.NewReader(out)
			if msg, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s -n: %v\n%s", shell, err, msg)
			}
		}
	}
	if _, _, err := cliRun("completion", "tcsh"); err == nil || !strings.Contains(err.Error(), "bash|zsh|fish") {
		t.Errorf("completion tcsh: %v", err)
	}
}
