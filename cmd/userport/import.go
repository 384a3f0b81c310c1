package main

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/client"
	"github.com/userport/userport/internal/config"
	"github.com/userport/userport/internal/progress"
	"github.com/userport/userport/internal/report"
)

// runImport implements `userport import FILE` (- for standard input): the
// file uploaded over HTTP as
// Auth0's POST /api/v2/jobs/users-imports, the job followed, its summary and
// per-user errors printed. Some user failing is an error.
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var rc config.Remote
	fs := newFlagSet("import", "FILE|- [flags]", "upload a JSON-array or NDJSON file (gzip'd or not; - reads standard input) as an import job, follow it and show its errors")
	rc.Flags(fs)
	connName := fs.String("connection", "", "the connection to import into, by name or id (required, or --connection-id)")
	connID := fs.String("connection-id", "", "the connection to import into, by id (con_...)")
	upsert := fs.Bool("upsert", false, "update the users that exist already")
	newIDs := fs.Bool("new-ids", false, "drop the file's user_id (and its own identity's): every user gets a new id, so that an export "+
		"imports into another connection of its tenant (a userport extension)")
	externalID := fs.String("external-id", "", "an id of your own, echoed in the job")
	asJSON := fs.Bool("json", false, "print the job and its errors as one JSON object (progress goes to stderr)")
	rest, err := parseCommand(fs, args, stderr, &rc, 1)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errors.New("name the file: userport import FILE --connection NAME (- for standard input)")
	}
	if (*connName == "") == (*connID == "") {
		return errors.New("give --connection NAME or --connection-id ID")
	}
	c, err := rc.Client()
	if err != nil {
		return err
	}
	out := stdout
	if *asJSON {
		out = stderr
	}
	start := time.Now()
	req := client.ImportRequest{ConnectionID: *connID, Upsert: *upsert, ExternalID: *externalID, NewIDs: *newIDs}
	if *connName != "" {
		if req.ConnectionID, err = c.ConnectionID(ctx, *connName); err != nil {
			return err
		}
	}
	job, err := progress.Import(ctx, c, rest[0], req, rc.PollInterval, out)
	if err != nil {
		return err
	}
	var errs []userport.ImportError
	if job.Status == "failed" || job.Summary != nil && job.Summary.Failed > 0 {
		if errs, err = c.JobErrors(ctx, job.ID); err != nil {
			return err
		}
	}
	return report.Import(stdout, job, errs, time.Since(start), *asJSON)
}
