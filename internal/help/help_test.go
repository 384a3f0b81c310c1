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

// TestRender: the usage line, the summary, then the flags in their groups
// in order (own, client, store, server), each group once; FlagNames reads
// the flags back; a command without flags has no flags section.
func TestRender(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.String("url", "", "the server (USERPORT_URL)")
	fs.String("data-dir", "./d", "the data dir (USERPORT_DATA_DIR)")
	fs.Bool("gunzip", false, "write it plain")
	fs.String("o", "", "the `file` to write")
	groups := map[string]string{"url": help.Client, "data-dir": help.Store}
	var b strings.Builder
	help.Render(&b, help.Command{Name: "x", Args: "[flags]", Summary: "do x."}, fs, func(n string) string { return groups[n] })
	want := `Usage: userport x [flags]

do x.

Flags:
  --gunzip
      write it plain
  -o file
      the file to write

Client flags (where the server is, how to authenticate):
  --url string
      the server (USERPORT_URL)

Store flags (where the data is):
  --data-dir string
      the data dir (USERPORT_DATA_DIR) (default ./d)

A USERPORT_* variable in parentheses is the flag's environment twin; the flag wins.
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	if got := help.FlagNames(b.String()); !slices.Equal(got, []string{"gunzip", "o", "url", "data-dir"}) {
		t.Errorf("FlagNames = %q", got)
	}
	b.Reset()
	help.Render(&b, help.Command{Name: "version", Summary: "print the version"}, flag.NewFlagSet("version", flag.ContinueOnError), nil)
	if b.String() != "Usage: userport version\n\nprint the version.\n" {
		t.Errorf("no flags: %q", b.String())
	}
}

// TestCompletion: each shell's script offers the commands, after help
// too, the subcommands and each one's flags; another shell is refused.
func TestCompletion(t *testing.T) {
	cmds := []help.Command{{Name: "export"}, {Name: "jobs", Subs: []string{"get", "list"}}, {Name: "help"}}
	flags := map[string][]string{"export": {"o", "url"}, "jobs list": {"per-page"}}
	for shell, want := range map[string][]string{
		"bash": {`"export") COMPREPLY=($(compgen -W "-o --url"`, `"jobs list") COMPREPLY=($(compgen -W "--per-page"`,
			`help) COMPREPLY=($(compgen -W "export jobs help"`, `compgen -W "get list"`, "complete -o default -F _userport userport"},
		"zsh": {"#compdef userport", "bashcompinit", `"jobs list")`},
		"fish": {"-n __fish_use_subcommand -a export", "'__fish_seen_subcommand_from export' -s o",
			"'__fish_seen_subcommand_from jobs; and __fish_seen_subcommand_from list' -l per-page", "'__fish_seen_subcommand_from help' -a jobs"},
	} {
		var b strings.Builder
		if err := help.Completion(&b, shell, cmds, flags); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s script lacks %q:\n%s", shell, w, b.String())
			}
		}
	}
	if err := help.Completion(io.Discard, "tcsh", cmds, flags); err == nil {
		t.Error("tcsh: no error")
	}
}

func TestUsageGroupsCommands(t *testing.T) {
	cmds := []help.Command{
		{Name: "help", Args: "[COMMAND]", Summary: "this help"},
		{Name: "export", Args: "[flags]", Summary: "export users", Client: true},
		{Name: "serve", Args: "[flags]", Summary: "run the API"},
	}
	got := help.Usage(cmds)
	serve, export, helpAt := strings.Index(got, "userport serve [flags]"), strings.Index(got, "userport export [flags]"), strings.Index(got, "userport help [COMMAND]")
	clients := strings.Index(got, "Client commands")
	if serve < 0 || !(serve < clients && clients < export && export < helpAt) {
		t.Errorf("Usage: want serve, then the client commands (export), then help; got\n%s", got)
	}
}

func TestRunGroup(t *testing.T) {
	ran := ""
	subs := map[string]help.Sub{
		"list": func(_ context.Context, args []string, _, _ io.Writer) error {
			ran = "list " + strings.Join(args, " ")
			return nil
		},
		"get": func(context.Context, []string, io.Writer, io.Writer) error { return nil },
	}
	for _, tt := range []struct {
		args              []string
		wantErr, wantHelp string
	}{
		{[]string{"list", "-x"}, "", ""},
		{nil, "name a jobs command: get, list", "JOBS HELP"},
		{[]string{"-h"}, flag.ErrHelp.Error(), "JOBS HELP"},
		{[]string{"nope"}, `unknown jobs command "nope"`, "JOBS HELP"},
	} {
		var stderr bytes.Buffer
		err := help.RunGroup(context.Background(), "jobs", help.Text("JOBS HELP"), subs, tt.args, io.Discard, &stderr)
		if got := fmt.Sprint(err); (err != nil || tt.wantErr != "") && got != tt.wantErr {
			t.Errorf("RunGroup(%q) = %v, want %q", tt.args, err, tt.wantErr)
		}
		if stderr.String() != tt.wantHelp {
			t.Errorf("RunGroup(%q) wrote %q, want %q", tt.args, stderr.String(), tt.wantHelp)
		}
	}
	if ran != "list -x" {
		t.Errorf("RunGroup ran %q, want list -x", ran)
	}
}
