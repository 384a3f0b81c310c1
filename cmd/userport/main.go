// Command userport runs the userport service and its tools: serve the
// Auth0-compatible Management API, sign tokens for scripts, seed users.
package main

import (
	"bytes"
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

// commandFunc is a command: it runs with the arguments after its name.
type commandFunc = func(context.Context, []string, io.Writer, io.Writer) error

// command is one entry of the command table: its help and how it runs.
type command struct {
	help.Command
	run commandFunc
}

// commands is the command table: the top-level help, each command's help
// (of the commands that declare no help of their own) and the completion
// scripts are made from it.
var commands []command

func init() { // in init: the table's entries refer to commands that use it
	commands = []command{
		{help.Command{Name: "serve", Args: "[flags]", Summary: "run the Management API and job workers on the embedded default"}, runServe},
		{help.Command{Name: "worker", Args: "[flags]", Summary: "run job workers only, sharing the queue with serve"}, runWorker},
		{help.Command{Name: "token", Args: "[flags]", Summary: "print an access token signed with the data dir's key, for the server its admin client file names"}, runToken},
		{help.Command{Name: "keys", Args: "COMMAND", Summary: "list, rotate or retire the token signing keys; make a master key",
			Subs: []string{"list", "rotate", "retire", "new-master-key"}}, runKeys},
		{help.Command{Name: "seed", Args: "[flags]", Summary: "write N generated users into the store"}, runSeed},
		{help.Command{Name: "bench", Args: "[flags]", Summary: "measure exports against the limit of scan + gzip"}, runBench},
		{help.Command{Name: "load", Args: "FILE [flags]", Summary: "import a JSON-array or NDJSON file (gzip'd or not) straight into the store"}, runLoad},
		{help.Command{Name: "loadtest", Args: "[flags]", Summary: "put a server (its own, seeded, or one on loopback) under load and report"}, runLoadtest},
		{help.Command{Name: "export", Args: "[flags]", Summary: "export users to a file, with a progress bar", Client: true}, runExport},
		{help.Command{Name: "import", Args: "FILE [flags]", Summary: "upload an import file, follow the job, show its errors", Client: true}, runImport},
		{help.Command{Name: "jobs", Args: "get|errors|manifest ID | list", Summary: "show a job, an import's per-user errors or an export's manifest; list the tenant's jobs",
			Subs: []string{"get", "list", "errors", "manifest"}, Client: true}, runJobs},
		{help.Command{Name: "users", Args: "list | get ID | search QUERY", Summary: "list, show or search users (Auth0's q)",
			Subs: []string{"list", "get", "search"}, Client: true}, runUsers},
		{help.Command{Name: "connections", Args: "list", Summary: "list the connections: ids, names, strategies",
			Subs: []string{"list"}, Client: true}, runConnections},
		{help.Command{Name: "login", Args: "[flags]", Summary: "check a server's client credentials and save them, with its URL, as the default", Client: true}, runLogin},
		{help.Command{Name: "logout", Summary: "remove the saved credentials", Client: true}, runLogout},
		{help.Command{Name: "help", Args: "[COMMAND]", Summary: "this help, or a command's"}, nil},
		{help.Command{Name: "version", Summary: "the version of this binary (also --version, -v)"}, runVersion},
		{help.Command{Name: "completion", Args: "bash|zsh|fish", Summary: "print the shell completion script (bash: source <(userport completion bash))"}, runCompletion},
	}
}

// usage is the top-level help, from the command table.
func usage() string { return help.Usage(helpTable()) }

// helpTable is the command table's help.
func helpTable() []help.Command {
	table := make([]help.Command, len(commands))
	for i, c := range commands {
		table[i] = c.Command
	}
	return table
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

// run dispatches to the command named by args[0]. Help, asked for by
// `help COMMAND`, -h, -help or --help, goes to stdout.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return flag.ErrHelp
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) == 1 || args[1] == "help" {
			_, err := fmt.Fprint(stdout, usage())
			return err
		}
		args = append(args[1:], "-h")
	case "--version", "-version", "-v":
		args[0] = "version"
	}
	c := lookup(args[0])
	if c == nil || c.run == nil {
		fmt.Fprint(stderr, usage())
		return fmt.Errorf("unknown command %q", args[0])
	}
	rest := args[1:]
	if asksHelp(rest) {
		stderr = stdout // the help asked for is the output
		if len(c.Subs) > 0 && len(rest) == 1 && c.Name == "keys" {
			rest = nil // keys prints its help when given no command
		}
	}
	if err := c.run(ctx, rest, stdout, stderr); !errors.Is(err, flag.ErrHelp) {
		return err
	}
	return nil // the help asked for was printed
}

// lookup returns the command name of the table, or nil.
func lookup(name string) *command {
	for i := range commands {
		if commands[i].Name == name {
			return &commands[i]
		}
	}
	return nil
}

// asksHelp reports whether args ask for help: -h, -help or --help before
// any "--".
func asksHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// newFlagSet and parseCommand are config's: how every command's flags are
// declared and parsed.
var newFlagSet, parseCommand = config.NewFlagSet, config.ParseCommand

// parseFlags parses args with fs, whose help is its entry's in the command
// table, sending help to stderr, and validates cfg.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer, cfg *Config) error {
	name, _, _ := strings.Cut(fs.Name(), " ")
	if c := lookup(name); c != nil {
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
	flags := map[string][]string{}
	for _, c := range commands {
		for _, key := range completionKeys(c) {
			var out bytes.Buffer
			_ = run(ctx, append(strings.Fields(key), "-h"), &out, io.Discard)
			flags[key] = help.FlagNames(out.String())
		}
	}
	return help.Completion(stdout, rest[0], helpTable(), flags)
}

// completionKeys are the names whose flags c's completion offers: none
// for help, which has no flags.
func completionKeys(c command) []string {
	if c.run == nil {
		return nil
	}
	return help.Keys(c.Command)
}
