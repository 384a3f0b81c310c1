package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/client"
	"github.com/userport/userport/internal/config"
	"github.com/userport/userport/internal/progress"
)

// errUsersFailed is the outcome of an import in which some users failed:
// what failed was printed, the exit code says so.
var errUsersFailed = errors.New("users failed")

// runImport implements `userport import FILE`: the file uploaded over HTTP as
// Auth0's POST /api/v2/jobs/users-imports, the job followed, its summary and
// per-user errors printed. Some user failing is an error.
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var rc config.Remote
	fs := newFlagSet("import", "FILE [flags]", "upload a JSON-array or NDJSON file (gzip'd or not) as an import job, follow it and show its errors")
	rc.Flags(fs)
	connName := fs.String("connection", "", "the connection to import into, by name (required, or --connection-id)")
	connID := fs.String("connection-id", "", "the connection to import into, by id (con_...)")
	upsert := fs.Bool("upsert", false, "update the users that exist already")
	externalID := fs.String("external-id", "", "an id of your own, echoed in the job")
	asJSON := fs.Bool("json", false, "print the job and its errors as one JSON object (progress goes to stderr)")
	rest, err := parseCommand(fs, args, stderr, &rc, 1)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errors.New("name the file: userport import FILE --connection NAME")
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
	req := client.ImportRequest{ConnectionID: *connID, Upsert: *upsert, ExternalID: *externalID}
	if *connName != "" {
		if req.ConnectionID, err = c.ConnectionID(ctx, *connName); err != nil {
			return err
		}
	}
	job, err := importJob(ctx, c, rest[0], req, rc.PollInterval, out)
	if err != nil {
		return err
	}
	return reportImport(ctx, c, job, time.Since(start), *asJSON, stdout)
}

// importJob uploads the file and follows the job to its end.
func importJob(ctx context.Context, c *client.Client, path string, req client.ImportRequest, poll time.Duration, w io.Writer) (*client.Job, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	req.File, req.FileName, req.Size = f, filepath.Base(path), st.Size()
	onSent, finish := progress.Bytes(w, "uploading "+req.FileName)
	if onSent != nil {
		req.Progress = func(sent int64) { onSent(sent, st.Size()) }
	} else {
		fmt.Fprintf(w, "uploading %s: %d bytes\n", req.FileName, st.Size())
	}
	job, err := c.CreateImport(ctx, req)
	finish()
	if err != nil {
		return nil, err
	}
	p := progress.NewJob(w, job)
	return c.Wait(ctx, job.ID, poll, p.Show)
}

// reportImport prints the job's summary and its per-user errors; a failed
// job or a failed user is an error.
func reportImport(ctx context.Context, c *client.Client, job *client.Job, took time.Duration, asJSON bool, w io.Writer) error {
	var errs []userport.ImportError
	s := job.Summary
	if s == nil {
		s = &userport.ImportSummary{}
	}
	if s.Failed > 0 || job.Status == "failed" {
		var err error
		if errs, err = c.JobErrors(ctx, job.ID); err != nil {
			return err
		}
	}
	if asJSON {
		if err := writeJSONOut(w, map[string]any{"job": job, "errors": nonNil(errs)}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(w, "job %s %s: %d records (%d inserted, %d updated, %d failed) into %s in %.2fs\n",
			job.ID, job.Status, s.Total, s.Inserted, s.Updated, s.Failed, job.Connection, took.Seconds())
		if err := writeImportErrors(w, errs); err != nil {
			return err
		}
	}
	switch {
	case job.Status != "completed":
		return fmt.Errorf("import job %s is %s: %s", job.ID, job.Status, job.StatusDetails)
	case s.Failed > 0:
		return fmt.Errorf("import job %s: %d of %d %w", job.ID, s.Failed, s.Total, errUsersFailed)
	}
	return nil
}

// writeImportErrors prints per-user errors as a table: the user (email,
// else user_id, else username), the error code, the path and the message.
func writeImportErrors(w io.Writer, errs []userport.ImportError) error {
	if len(errs) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tCODE\tPATH\tMESSAGE")
	for _, e := range errs {
		who := importUserName(e.User)
		for _, issue := range e.Errors {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", who, issue.Code, dash(issue.Path), issue.Message)
		}
	}
	return tw.Flush()
}

// importUserName names the user of a per-user error.
func importUserName(raw json.RawMessage) string {
	var u struct{ Email, UserID, Username any }
	_ = json.Unmarshal(raw, &u)
	for _, v := range []any{u.Email, u.UserID, u.Username} {
		if s, ok := v.(string); ok && s != "" {
			return s
		}
	}
	return "-"
}

// dash is s, or "-" when empty (a table cell is never blank).
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// nonNil is errs, or an empty list (so JSON shows [] rather than null).
func nonNil(errs []userport.ImportError) []userport.ImportError {
	if errs == nil {
		return []userport.ImportError{}
	}
	return errs
}

// writeJSONOut writes v to w as indented JSON.
func writeJSONOut(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
