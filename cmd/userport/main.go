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
	"syscall"
)

const usage = `userport moves users out of (and into) an identity system in bulk.

Usage:
  userport serve  [flags]    run the Management API and job workers on the embedded default
  userport worker [flags]    run job workers only, sharing the queue with serve
  userport token  [flags]    print an access token signed with the data dir's key
  userport keys   COMMAND    list, rotate or retire the token signing keys; make a master key
  userport seed   [flags]    write N generated users into the store
  userport bench  [flags]    measure exports against the limit of scan + gzip
  userport import [flags]    import a JSON-array or NDJSON file (gzip'd or not) into the store
  userport loadtest [flags]  put a server (its own, seeded, or one on loopback) under load and report

Run 'userport COMMAND -h' for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "userport:", err)
		}
		os.Exit(2)
	}
}

// run dispatches to the command named by args[0].
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"serve":    runServe,
		"token":    runToken,
		"keys":     runKeys,
		"seed":     runSeed,
		"bench":    runBench,
		"worker":   runWorker,
		"import":   runImport,
		"loadtest": runLoadtest,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
	return cmd(ctx, args[1:], stdout, stderr)
}

// parseFlags parses args with fs, sending help to stderr, and validates cfg.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer, cfg *Config) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return cfg.Validate()
}
