package help

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Sub is a command under another (jobs get, users list): it runs with the
// arguments after its name.
type Sub = func(context.Context, []string, io.Writer, io.Writer) error

// RunGroup runs the subcommand of group (jobs, users) that args[0] names,
// or writes the group's help with writeHelp to stderr: flag.ErrHelp when
// help was asked for, else an error naming the subcommands.
func RunGroup(ctx context.Context, group string, writeHelp func(io.Writer), subs map[string]Sub, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		if sub, ok := subs[args[0]]; ok {
			return sub(ctx, args[1:], stdout, stderr)
		}
	}
	writeHelp(stderr)
	switch {
	case len(args) == 0:
		return fmt.Errorf("name a %s command: %s", group, strings.Join(slices.Sorted(maps.Keys(subs)), ", "))
	case args[0] == "-h" || args[0] == "-help" || args[0] == "--help":
		return flag.ErrHelp
	}
	return fmt.Errorf("unknown %s command %q", group, args[0])
}

// Text is a writer of a fixed help text, for RunGroup.
func Text(text string) func(io.Writer) {
	return func(w io.Writer) { fmt.Fprint(w, text) }
}
