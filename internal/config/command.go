package config

import (
	"flag"
	"fmt"
	"io"
)

// NewFlagSet returns the flag set of command name, whose help shows its
// synopsis, what it does, and its flags with their environment twins.
func NewFlagSet(name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: userport %s %s\n\n%s.\n\nFlags (a USERPORT_* variable in parentheses is the flag's environment twin; the flag wins):\n",
			name, synopsis, about)
		fs.PrintDefaults()
	}
	return fs
}

// Validator is a configuration that checks itself once parsed.
type Validator interface{ Validate() error }

// ParseCommand parses args with fs, flags and at most maxArgs positional
// arguments in any order, sends help to stderr, validates cfg (nil: none)
// and returns the positional arguments.
func ParseCommand(fs *flag.FlagSet, args []string, stderr io.Writer, cfg Validator, maxArgs int) ([]string, error) {
	fs.SetOutput(stderr)
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		rest, args = append(rest, fs.Arg(0)), fs.Args()[1:]
	}
	if len(rest) > maxArgs {
		return nil, fmt.Errorf("unexpected arguments: %v", rest[maxArgs:])
	}
	if cfg == nil {
		return rest, nil
	}
	return rest, cfg.Validate()
}
