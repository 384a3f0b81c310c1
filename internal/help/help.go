// Package help renders the help of userport's commands, one way for every
// command: its usage line, what it does, and its flags grouped (the
// command's own, then the client's, the store's and the server's), each
// with its environment twin; the shell completion scripts, from the same
// command table and flags; and the table itself (Table), which picks the
// command the arguments name and routes the help asked for.
package help

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// Groups of flags, in the order the help shows them.
const (
	Own    = ""       // the command's own flags
	Client = "client" // where the server is and how to authenticate (client commands)
	Store  = "store"  // where the data is
	Server = "server" // how the server serves and works jobs
)

// groupTitles are the headings of the groups.
var groupTitles = map[string]string{
	Own:    "Flags",
	Client: "Client flags (where the server is, how to authenticate)",
	Store:  "Store flags (where the data is)",
	Server: "Server flags",
}

// Command is one command of the table the top-level help, each command's
// help and the completion scripts are made from.
type Command struct {
	Name    string   // "export", "jobs get"
	Args    string   // what follows the name: "FILE [flags]"
	Summary string   // what it does, one line
	Subs    []string // subcommands ("jobs": get, list, errors)
	Client  bool     // speaks HTTP to a server (listed under the client commands)
}

// Render writes c's help: its usage, its summary and fs's flags in their
// groups (group names each flag's group); a command without flags shows
// no flags section.
func Render(w io.Writer, c Command, fs *flag.FlagSet, group func(name string) string) {
	fmt.Fprintf(w, "Usage: userport %s\n\n%s.\n", strings.TrimSpace(c.Name+" "+c.Args), strings.TrimSuffix(c.Summary, "."))
	byGroup := map[string][]*flag.Flag{}
	twins := false
	fs.VisitAll(func(f *flag.Flag) {
		g := group(f.Name)
		byGroup[g] = append(byGroup[g], f)
		twins = twins || strings.Contains(f.Usage, "(USERPORT_")
	})
	for _, g := range []string{Own, Client, Store, Server} {
		if len(byGroup[g]) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", groupTitles[g])
		for _, f := range byGroup[g] {
			writeFlag(w, f)
		}
	}
	if twins {
		fmt.Fprint(w, "\nA USERPORT_* variable in parentheses is the flag's environment twin; the flag wins.\n")
	}
}

// RenderGroup writes the help of c, a command of subcommands subs: its
// usage, its summary and each subcommand's usage and summary.
func RenderGroup(w io.Writer, c Command, subs []Command) {
	fmt.Fprintf(w, "Usage: userport %s %s\n\n%s.\n\nCommands:\n", c.Name, c.Args, strings.TrimSuffix(c.Summary, "."))
	for _, s := range subs {
		fmt.Fprintf(w, "  userport %-24s %s\n", s.Name+" "+s.Args, s.Summary)
	}
	fmt.Fprintf(w, "\nRun 'userport help %s COMMAND' for a command's flags.\n", c.Name)
}

// writeFlag writes one flag: its name and the kind of value it takes, then
// its help and its default, if it has one.
func writeFlag(w io.Writer, f *flag.Flag) {
	kind, usage := flag.UnquoteUsage(f)
	fmt.Fprintf(w, "  %s", Dashed(f.Name))
	if kind != "" {
		fmt.Fprintf(w, " %s", kind)
	}
	fmt.Fprintf(w, "\n      %s", usage)
	switch f.DefValue {
	case "", "0", "false", "0s":
	default:
		fmt.Fprintf(w, " (default %s)", f.DefValue)
	}
	fmt.Fprintln(w)
}

// Dashed is how the help spells flag name: -o, --data-dir.
func Dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// FlagNames returns the flags (without dashes) a help Render wrote lists,
// in order: how the completion scripts learn each command's flags.
func FlagNames(help string) []string {
	var names []string
	for _, line := range strings.Split(help, "\n") {
		if rest, ok := strings.CutPrefix(line, "  -"); ok {
			names = append(names, strings.TrimLeft(strings.Fields(rest)[0], "-"))
		}
	}
	return names
}
