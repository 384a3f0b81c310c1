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
	"strings"
	"syscall"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/config"
)

const usage = `userport moves users out of (and into) an identity system in bulk.

Usage:
  userport serve  [flags]    run the Management API and job workers on the embedded default
  userport worker [flags]    run job workers only, sharing the queue with serve
  userport token  [flags]    print an access token signed with the data dir's key
  userport keys   COMMAND    list, rotate or retire the token signing keys; make a master key
  userport seed   [flags]    write N generated users into the store
  userport bench  [flags]    measure exports against the limit of scan + gzip
  userport load FILE [flags] import a JSON-array or NDJSON file (gzip'd or not) straight into the store
  userport loadtest [flags]  put a server (its own, seeded, or one on loopback) under load and report


Client commands (over HTTP, to a userport server or an Auth0 tenant):
  userport export [flags]       export users to a file, with a progress bar
  userport import FILE [flags]  upload an import file, follow the job, show its errors
  userport jobs get ID          show a job
  userport jobs list            list the tenant's jobs, newest first
  userport jobs errors ID       show the per-user errors of an import job
  userport users list|get ID|search QUERY   list, show or search users (Auth0's q)
  userport connections list     list the connections: ids, names, strategies

  userport help [COMMAND]    this help, or a command's flags
  userport version           the version of this binary

Run 'userport help COMMAND' or 'userport COMMAND -h' for a command's flags.
`

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

// run dispatches to the command named by args[0].
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"serve":       runServe,
		"token":       runToken,
		"keys":        runKeys,
		"seed":        runSeed,
		"bench":       runBench,
		"worker":      runWorker,
		"load":        runLoad,
		"loadtest":    runLoadtest,
		"export":      runExport,
		"import":      runImport,
		"jobs":        runJobs,
		"users":       runUsers,
		"connections": runConnections,
		"version":     runVersion,
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) == 1 {
			_, err := fmt.Fprint(stdout, usage)
			return err
		}
		args = append(args[1:], "-h")
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
	if err := cmd(ctx, args[1:], stdout, stderr); !errors.Is(err, flag.ErrHelp) {
		return err
	}
	return nil // the help asked for was printed
}

// newFlagSet and parseCommand are config's: how every command's flags are
// declared and parsed.
var newFlagSet, parseCommand = config.NewFlagSet, config.ParseCommand

// parseFlags parses args with fs, sending help to stderr, and validates cfg.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer, cfg *Config) error {
	fs.SetOutput(stderr)
	_, err := parseCommand(fs, args, stderr, cfg, 0)
	return err
}
