package help

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Entry is one command of a Table: its help and how it runs. Help itself
// has no Run: the table answers it.
type Entry struct {
	Command
	Run Sub
	// Aliases are other names of the command ("--version" for version).
	Aliases []string
}

// Table is the command table of a program: how its arguments pick a
// command, and where the top-level help, each command's help and the
// completion scripts are made from.
type Table []Entry

// Commands is the help of the table's commands.
func (t Table) Commands() []Command {
	cmds := make([]Command, len(t))
	for i, e := range t {
		cmds[i] = e.Command
	}
	return cmds
}

// Usage is the table's top-level help.
func (t Table) Usage() string { return Usage(t.Commands()) }

// Lookup returns the command of the table that name names (or an alias
// of), or nil.
func (t Table) Lookup(name string) *Entry {
	for i := range t {
		if t[i].Name == name || slices.Contains(t[i].Aliases, name) {
			return &t[i]
		}
	}
	return nil
}

// Run runs the command args[0] names with the arguments after it. Help,
// asked for by `help COMMAND`, -h, -help or --help, goes to stdout and is
// no error; without arguments the top-level help goes to stderr and Run
// returns flag.ErrHelp.
func (t Table) Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, t.Usage())
		return flag.ErrHelp
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) == 1 || args[1] == "help" {
			_, err := fmt.Fprint(stdout, t.Usage())
			return err
		}
		args = append(args[1:], "-h")
	}
	e := t.Lookup(args[0])
	if e == nil || e.Run == nil {
		fmt.Fprint(stderr, t.Usage())
		return fmt.Errorf("unknown command %q", args[0])
	}
	rest := args[1:]
	if AsksHelp(rest) {
		stderr = stdout // the help asked for is the output
	}
	if err := e.Run(ctx, rest, stdout, stderr); !errors.Is(err, flag.ErrHelp) {
		return err
	}
	return nil // the help asked for was printed
}

// AsksHelp reports whether args ask for help: -h, -help or --help before
// any "--".
func AsksHelp(args []string) bool {
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

// Flags returns the flags of every command and subcommand of the table
// (its Keys), read from the help each prints for -h: what the completion
// scripts offer.
func (t Table) Flags(ctx context.Context) map[string][]string {
	flags := map[string][]string{}
	for _, e := range t {
		if e.Run == nil {
			continue // help, which has no flags
		}
		for _, key := range Keys(e.Command) {
			var out bytes.Buffer
			_ = t.Run(ctx, append(strings.Fields(key), "-h"), &out, io.Discard)
			flags[key] = FlagNames(out.String())
		}
	}
	return flags
}
