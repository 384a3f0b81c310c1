package help_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/userport/userport/internal/help"
)

// testTable is a table of two commands: run prints its arguments, or its
// help (with a flag) for -h; version has an alias.
func testTable() help.Table {
	cmd := func(name string) help.Sub {
		return func(_ context.Context, args []string, stdout, stderr io.Writer) error {
			if help.AsksHelp(args) {
				fmt.Fprintf(stderr, "Usage: userport %s\n\nFlags:\n  --fast\n      go fast\n", name)
				return flag.ErrHelp
			}
			_, err := fmt.Fprintf(stdout, "%s %s", name, strings.Join(args, " "))
			return err
		}
	}
	return help.Table{
		{Command: help.Command{Name: "run", Summary: "run it"}, Run: cmd("run")},
		{Command: help.Command{Name: "help", Summary: "this help"}},
		{Command: help.Command{Name: "version", Summary: "the version"}, Run: cmd("version"), Aliases: []string{"-v"}},
	}
}

// TestTableRun: arguments pick the command (or an alias); help asked for,
// by help COMMAND or -h before any --, is on stdout and no error; no
// arguments is the usage on stderr; an unknown command is an error.
func TestTableRun(t *testing.T) {
	usage := testTable().Usage()
	for _, tt := range []struct {
		args                []string
		stdout, stderr, err string
	}{
		{[]string{"run", "a", "--", "-h"}, "run a -- -h", "", ""},
		{[]string{"-v"}, "version ", "", ""},
		{[]string{"run", "-h"}, "Usage: userport run\n\nFlags:\n  --fast\n      go fast\n", "", ""},
		{[]string{"help", "run"}, "Usage: userport run\n\nFlags:\n  --fast\n      go fast\n", "", ""},
		{[]string{"--help"}, usage, "", ""},
		{[]string{"help", "help"}, usage, "", ""},
		{nil, "", usage, flag.ErrHelp.Error()},
		{[]string{"nope"}, "", usage, `unknown command "nope"`},
		{[]string{"help", "nope"}, "", usage, `unknown command "nope"`},
	} {
		var stdout, stderr bytes.Buffer
		err := testTable().Run(context.Background(), tt.args, &stdout, &stderr)
		if got := fmt.Sprint(err); (err != nil || tt.err != "") && got != tt.err {
			t.Errorf("Run(%q) = %v, want %s", tt.args, err, tt.err)
		}
		if stdout.String() != tt.stdout || stderr.String() != tt.stderr {
			t.Errorf("Run(%q) wrote stdout %q, stderr %q; want %q, %q", tt.args, stdout.String(), stderr.String(), tt.stdout, tt.stderr)
		}
	}
}

// TestTableFlags: each command's flags are read from its help; help has
// none.
func TestTableFlags(t *testing.T) {
	got := testTable().Flags(context.Background())
	if len(got) != 2 || !slices.Equal(got["run"], []string{"fast"}) || !slices.Equal(got["version"], []string{"fast"}) {
		t.Errorf("Flags = %q, want run and version with fast", got)
	}
	if e := testTable().Lookup("-v"); e == nil || e.Name != "version" {
		t.Errorf("Lookup(-v) = %v, want version", e)
	}
}
