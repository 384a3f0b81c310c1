package help

import (
	"fmt"
	"slices"
	"strings"
)

// general are the commands the top-level help lists last, apart.
var general = []string{"help", "version", "completion"}

// Usage is the top-level help of the command table cmds: the server's
// commands, the client commands, then help, version and completion.
func Usage(cmds []Command) string {
	var b strings.Builder
	b.WriteString("userport moves users out of (and into) an identity system in bulk.\n\nUsage:\n")
	list := func(keep func(Command) bool) {
		for _, c := range cmds {
			if keep(c) {
				fmt.Fprintf(&b, "  userport %-35s %s\n", strings.TrimSpace(c.Name+" "+c.Args), c.Summary)
			}
		}
	}
	isGeneral := func(c Command) bool { return slices.Contains(general, c.Name) }
	list(func(c Command) bool { return !c.Client && !isGeneral(c) })
	b.WriteString("\nClient commands (over HTTP, to a userport server or an Auth0 tenant; the server is --url, else\n" +
		"USERPORT_URL, else the profile `userport login` saved, else the local server's admin client file):\n")
	list(func(c Command) bool { return c.Client })
	b.WriteString("\n")
	list(isGeneral)
	b.WriteString("\nRun 'userport help COMMAND' or 'userport COMMAND -h' for a command's flags.\n")
	return b.String()
}
