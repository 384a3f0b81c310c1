package help

import (
	"fmt"
	"io"
	"strings"
)

// Shells are the shells Completion writes scripts for.
var Shells = []string{"bash", "zsh", "fish"}

// Completion writes the completion script of shell for the commands cmds,
// whose flags are flags[name] ("jobs get" for a subcommand).
func Completion(w io.Writer, shell string, cmds []Command, flags map[string][]string) error {
	switch shell {
	case "bash":
		writeBash(w, cmds, flags)
	case "zsh":
		fmt.Fprint(w, "#compdef userport\nautoload -U +X bashcompinit && bashcompinit\n")
		writeBash(w, cmds, flags)
	case "fish":
		writeFish(w, cmds, flags)
	default:
		return fmt.Errorf("no completion for shell %q: want %s", shell, strings.Join(Shells, ", "))
	}
	return nil
}

// names returns the commands' names.
func names(cmds []Command) string {
	var n []string
	for _, c := range cmds {
		n = append(n, c.Name)
	}
	return strings.Join(n, " ")
}

// dashedAll spells each flag as the command line does.
func dashedAll(flags []string) string {
	var d []string
	for _, f := range flags {
		d = append(d, Dashed(f))
	}
	return strings.Join(d, " ")
}

// writeBash writes the bash script (zsh runs it through bashcompinit).
func writeBash(w io.Writer, cmds []Command, flags map[string][]string) {
	fmt.Fprintf(w, "# userport completion for bash: source <(userport completion bash)\n_userport() {\n"+
		"  local cur=${COMP_WORDS[COMP_CWORD]} key=${COMP_WORDS[1]}\n"+
		"  if [ \"$COMP_CWORD\" -eq 1 ]; then COMPREPLY=($(compgen -W %q -- \"$cur\")); return; fi\n"+
		"  case \"$key\" in\n", names(cmds))
	for _, c := range cmds {
		if len(c.Subs) == 0 {
			continue
		}
		fmt.Fprintf(w, "    %s) if [ \"$COMP_CWORD\" -eq 2 ]; then COMPREPLY=($(compgen -W %q -- \"$cur\")); return; fi\n"+
			"      key=\"$key ${COMP_WORDS[2]}\";;\n", c.Name, strings.Join(c.Subs, " "))
	}
	fmt.Fprintf(w, "  esac\n  case \"$key\" in\n    help) COMPREPLY=($(compgen -W %q -- \"$cur\"));;\n", names(cmds))
	for _, c := range cmds {
		for _, key := range Keys(c) {
			fmt.Fprintf(w, "    %q) COMPREPLY=($(compgen -W %q -- \"$cur\"));;\n", key, dashedAll(flags[key]))
		}
	}
	fmt.Fprint(w, "  esac\n}\ncomplete -o default -F _userport userport\n")
}

// Keys are the names whose flags c has: its own, or its subcommands'
// ("jobs get").
func Keys(c Command) []string {
	if len(c.Subs) == 0 {
		return []string{c.Name}
	}
	var k []string
	for _, s := range c.Subs {
		k = append(k, c.Name+" "+s)
	}
	return k
}

// writeFish writes the fish script.
func writeFish(w io.Writer, cmds []Command, flags map[string][]string) {
	fmt.Fprint(w, "# userport completion for fish: userport completion fish | source\n")
	for _, c := range cmds {
		fmt.Fprintf(w, "complete -c userport -n __fish_use_subcommand -a %s -d %q\n", c.Name, c.Summary)
		fmt.Fprintf(w, "complete -c userport -n '__fish_seen_subcommand_from help' -a %s\n", c.Name)
		for _, s := range c.Subs {
			fmt.Fprintf(w, "complete -c userport -n '__fish_seen_subcommand_from %s; and not __fish_seen_subcommand_from %s' -a %s\n",
				c.Name, strings.Join(c.Subs, " "), s)
		}
		for _, key := range Keys(c) {
			cond := "__fish_seen_subcommand_from " + strings.ReplaceAll(key, " ", "; and __fish_seen_subcommand_from ")
			for _, f := range flags[key] {
				opt := "-l " + f
				if len(f) == 1 {
					opt = "-s " + f
				}
				fmt.Fprintf(w, "complete -c userport -n '%s' %s\n", cond, opt)
			}
		}
	}
}
