package config

import (
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/userport/userport/internal/help"
)

// NewFlagSet returns the flag set of command name, whose help shows its
// synopsis, what it does, and its flags in their groups with their
// environment twins.
func NewFlagSet(name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	SetHelp(fs, help.Command{Name: name, Args: synopsis, Summary: about})
	return fs
}

// SetHelp makes c's help (help.Render, its flags grouped by Group) fs's.
func SetHelp(fs *flag.FlagSet, c help.Command) {
	fs.Usage = func() { help.Render(fs.Output(), c, fs, func(name string) string { return Group(fs, name) }) }
}

// Group is the help group of fs's flag name: the client's settings in a
// client command (one with --url), else the store's or the server's; the
// command's own flags are help.Own.
func Group(fs *flag.FlagSet, name string) string {
	has := func(settings []string) bool { return slices.Contains(settings, name) }
	switch {
	case fs.Lookup("url") != nil && has(names(remoteSettings)):
		return help.Client
	case has(names(storageSettings)):
		return help.Store
	case has(names(slices.Concat(serverSettings, []cs{jobsSetting, metricsSetting}))):
		return help.Server
	}
	return help.Own
}

// names returns the names of settings.
func names[C any](settings []setting[C]) []string {
	n := make([]string, len(settings))
	for i, s := range settings {
		n[i] = s.name
	}
	return n
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
