package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/userport/userport/client"
	"github.com/userport/userport/internal/config"
	"github.com/userport/userport/internal/help"
	"github.com/userport/userport/internal/report"
)

// jobsCommands are the jobs subcommands: their help and the group's.
var jobsCommands = map[string]help.Command{
	"get":    {Name: "jobs get", Args: "ID [flags]", Summary: "print a job as GET /api/v2/jobs/{id} shows it (a completed export's location is a fresh link)"},
	"list":   {Name: "jobs list", Args: "[flags]", Summary: "list the tenant's jobs, newest first (GET /api/v2/jobs, a userport extension)"},
	"errors": {Name: "jobs errors", Args: "ID [flags]", Summary: "print the per-user errors of an import job (GET /api/v2/jobs/{id}/errors)"},
	"manifest": {Name: "jobs manifest", Args: "ID [flags]", Summary: "print a completed export's manifest: rows, tombstones, sha256, " +
		"field counts, the cursor of the next incremental export (GET /api/v2/jobs/{id}/manifest)"},
}

// jobsFlagSet returns the flag set of the jobs subcommand sub.
func jobsFlagSet(sub string) *flag.FlagSet {
	c := jobsCommands[sub]
	return newFlagSet(c.Name, c.Args, c.Summary)
}

// writeJobsHelp writes the help of `userport jobs`.
func writeJobsHelp(w io.Writer) {
	var subs []help.Command
	for _, sub := range commands.Lookup("jobs").Subs {
		subs = append(subs, jobsCommands[sub])
	}
	help.RenderGroup(w, commands.Lookup("jobs").Command, subs)
}

// runJobs implements `userport jobs get|list|errors|manifest`.
func runJobs(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return help.RunGroup(ctx, "jobs", writeJobsHelp, map[string]help.Sub{
		"get": runJobsGet, "list": runJobsList, "errors": runJobsErrors, "manifest": runJobsManifest,
	}, args, stdout, stderr)
}

// runJobsGet implements `userport jobs get ID`: the job as the API shows it.
func runJobsGet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return printJobJSON(ctx, "get", args, stdout, stderr, func(c *client.Client, id string) (any, error) { return c.Job(ctx, id) })
}

// runJobsManifest implements `userport jobs manifest ID`: a completed
// export's manifest as the API shows it.
func runJobsManifest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return printJobJSON(ctx, "manifest", args, stdout, stderr, func(c *client.Client, id string) (any, error) { return c.Manifest(ctx, id) })
}

// printJobJSON runs the jobs subcommand sub, which takes a job's id: it
// prints what read answers for it, as JSON.
func printJobJSON(ctx context.Context, sub string, args []string, stdout, stderr io.Writer, read func(*client.Client, string) (any, error)) error {
	var rc config.Remote
	fs := jobsFlagSet(sub)
	rc.Flags(fs)
	rest, c, err := rc.ParseClientCommand(fs, args, stderr, 1)
	if err != nil {
		return err
	}
	v, err := read(c, rest[0])
	if err != nil {
		return err
	}
	return report.JSON(stdout, v)
}

// runJobsList implements `userport jobs list`: a page of the tenant's jobs.
func runJobsList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var rc config.Remote
	fs := jobsFlagSet("list")
	rc.Flags(fs)
	page := fs.Int("page", 0, "the page to show, from 0")
	perPage := fs.Int("per-page", 50, "jobs per page (at most 100)")
	asJSON := fs.Bool("json", false, "print the page as JSON: {jobs, start, limit, total}")
	_, c, err := rc.ParseClientCommand(fs, args, stderr, 0)
	if err != nil {
		return err
	}
	p, err := c.ListJobs(ctx, *page, *perPage)
	if err != nil {
		return err
	}
	if *asJSON {
		return report.JSON(stdout, p)
	}
	return report.Jobs(stdout, p)
}

// runJobsErrors implements `userport jobs errors ID`: an import job's
// per-user errors.
func runJobsErrors(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var rc config.Remote
	fs := jobsFlagSet("errors")
	rc.Flags(fs)
	asJSON := fs.Bool("json", false, "print the errors as the API answers them, a JSON array")
	rest, c, err := rc.ParseClientCommand(fs, args, stderr, 1)
	if err != nil {
		return err
	}
	errs, err := c.JobErrors(ctx, rest[0])
	switch {
	case err != nil:
		return err
	case *asJSON:
		return report.JSON(stdout, report.NonNil(errs))
	case len(errs) == 0:
		_, err = fmt.Fprintf(stdout, "job %s has no per-user errors\n", rest[0])
		return err
	}
	return report.ImportErrors(stdout, errs)
}
