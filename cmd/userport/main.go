// Command userport runs the userport service and its tools: serve the
// Auth0-compatible Management API, sign tokens for scripts, seed users.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/config"
	"github.com/userport/userport/internal/help"
)

// commands is the command table: how the arguments pick a command, and
// where the top-level help, each command's help (of the commands that
// declare no help of their own) and the completion scripts are made from.
var commands help.Table

func init() { // in init: the table's entries refer to commands that use it
	commands = help.Table{
		{Command: help.Command{Name: "serve", Args: "[flags]", Summary: "run the Management API and job workers on the embedded default"}, Run: runServe},
		{Command: help.Command{Name: "worker", Args: "[flags]", Summary: "run job workers only, sharing the queue with serve"}, Run: runWorker},
		{Command: help.Command{Name: "token", Args: "[flags]", Summary: "print an access token signed with the data dir's key, for the server its admin client file names"}, Run: runToken},
		{Command: help.Command{Name: "keys", Args: "COMMAND", Summary: "list, rotate or retire the token signing keys; make a master key",
			Subs: []string{"list", "rotate", "retire", "new-master-key"}}, Run: runKeys},
		{Command: help.Command{Name: "seed", Args: "[flags]", Summary: "write N generated users into the store"}, Run: runSeed},
		{Command: help.Command{Name: "bench", Args: "[flags]", Summary: "measure exports against the limit of scan + gzip"}, Run: runBench},
		{Command: help.Command{Name: "load", Args: "FILE [flags]", Summary: "import a JSON-array or NDJSON file (gzip'd or not) straight into the store"}, Run: runLoad},
		{Command: help.Command{Name: "loadtest", Args: "[flags]", Summary: "put a server (its own, seeded, or one on loopback) under load and report"}, Run: runLoadtest},
		{Command: help.Command{Name: "export", Args: "[flags]", Summary: "export users to a file, with a progress bar", Client: true}, Run: runExport},
		{Command: help.Command{Name: "import", Args: "FILE [flags]", Summary: "upload an import file, follow the job, show its errors", Client: true}, Run: runImport},
		{Command: help.Command{Name: "jobs", Args: "get|errors|manifest ID | list", Summary: "show a job, an import's per-user errors or an export's manifest; list the tenant's jobs",
			Subs: []string{"get", "list", "errors", "manifest"}, Client: true}, Run: runJobs},
		{Command: help.Command{Name: "users", Args: "list | get ID | search QUERY", Summary: "list, show or search users (Auth0's q)",
			Subs: []string{"list", "get", "search"}, Client: true}, Run: runUsers},
		{Command: help.Command{Name: "connections", Args: "list", Summary: "list the connections: ids, names, strategies",
			Subs: []string{"list"}, Client: true}, Run: runConnections},
		{Command: help.Command{Name: "login", Args: "[flags]", Summary: "check a server's client credentials and save them, with its URL, as the default", Client: true}, Run: runLogin},
		{Command: help.Command{Name: "logout", Summary: "remove the saved credentials", Client: true}, Run: runLogout},
		{Command: help.Command{Name: "help", Args: "[COMMAND]", Summary: "this help, or a command's"}},
		{Command: help.Command{Name: "version", Summary: "the version of this binary (also --version, -v)"}, Run: runVersion, Aliases: []string{"--version", "-version", "-v"}},
		{Command: help.Command{Name: "completion", Args: "bash|zsh|fish", Summary: "print the shell completion script (bash: source <(userport completion bash))"}, Run: runCompletion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "userport:", sentence(err))
		}
		os.Exit(2)
	}
}

// sentence is err as a person reads it: a userport.Error in its chain is
// shown by its message, not as "userport error: code=... message=...".
func sentence(err error) string {
	s := err.Error()
	var ue *userport.Error
	if errors.As(err, &ue) {
		s = strings.Replace(s, ue.Error(), ue.Message, 1)
	}
	return s
}

// run runs the command args[0] names (help.Table.Run).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return commands.Run(ctx, args, stdout, stderr)
}

// newFlagSet and parseCommand are config's: how every command's flags are
// declared and parsed.
var newFlagSet, parseCommand = config.NewFlagSet, config.ParseCommand

// parseFlags parses args with fs, whose help is its entry's in the command
// table, sending help to stderr, and validates cfg.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer, cfg *Config) error {
	name, _, _ := strings.Cut(fs.Name(), " ")
	if c := commands.Lookup(name); c != nil {
		hc := c.Command
		if sub := strings.TrimPrefix(fs.Name(), name); sub != "" { // keys list
			hc.Name, hc.Args = fs.Name(), "[flags]"
		}
		config.SetHelp(fs, hc)
	}
	fs.SetOutput(stderr)
	_, err := parseCommand(fs, args, stderr, cfg, 0)
	return err
}

// runCompletion implements `userport completion SHELL`: the completion
// script of the command table, each command's flags read from its help.
func runCompletion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("completion", "bash|zsh|fish", "print the completion script of a shell: "+
		"bash: source <(userport completion bash); zsh: source <(userport completion zsh); fish: userport completion fish | source")
	rest, err := parseCommand(fs, args, stderr, nil, 1)
	if err != nil {
		return err
	}
	if len(rest) != 1 || !slices.Contains(help.Shells, rest[0]) {
		return fmt.Errorf("name a shell: userport completion %s", strings.Join(help.Shells, "|"))
	}
	return help.Completion(stdout, rest[0], commands.Commands(), commands.Flags(ctx))
}
