package main

import (
	"strings"
	"testing"
)

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		out, _, err := cliRun(args...)
		if err != nil || !strings.Contains(out, "userport export [flags]") || !strings.Contains(out, "userport load FILE") {
			t.Errorf("%v: %v\n%s", args, err, out)
		}
	}
	// Every command's help, by -h, --help or help COMMAND, exits 0 and
	// lists its flags with their environment twins.
	commands := map[string][]string{
		"serve": {"-addr", "USERPORT_ADDR"}, "worker": {"-data-dir"}, "token": {"-scopes"},
		"seed": {"-users"}, "bench": {"-users"}, "loadtest": {"-duration"}, "load": {"-connection", "USERPORT_DATA_DIR"},
		"export":      {"-connection-id", "-field", "-gunzip", "USERPORT_URL", "USERPORT_CLIENT_ID", "USERPORT_CLIENT_SECRET", "USERPORT_TOKEN"},
		"import":      {"-upsert", "-external-id", "-json", "USERPORT_URL"},
		"jobs get":    {"Usage: userport jobs get ID", "USERPORT_TOKEN"},
		"jobs list":   {"-per-page", "USERPORT_URL"},
		"jobs errors": {"-json", "USERPORT_CLIENT_ID"},
		"jobs":        {"Usage: userport jobs get ID | list | errors ID"},
		"version":     {"Usage: userport version"},
	}
	for cmd, want := range commands {
		for _, args := range [][]string{append(strings.Fields(cmd), "-h"), append(strings.Fields(cmd), "--help"), append([]string{"help"}, strings.Fields(cmd)...)} {
			_, errOut, err := cliRun(args...)
			if err != nil {
				t.Errorf("%v: %v", args, err)
			}
			for _, w := range want {
				if !strings.Contains(errOut, w) {
					t.Errorf("%v: help lacks %q:\n%s", args, w, errOut)
				}
			}
		}
	}
	_, _, err := cliRun("nope")
	if err == nil || err.Error() != `unknown command "nope"` {
		t.Errorf("unknown command: %v", err)
	}
	out, _, err := cliRun("version")
	if err != nil || !strings.HasPrefix(out, "userport ") || !strings.Contains(out, "go1.") {
		t.Errorf("version: %v %q", err, out)
	}
}
