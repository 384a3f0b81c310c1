package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/userport/userport/client"
	"github.com/userport/userport/internal/config"
	"github.com/userport/userport/internal/progress"
)

// runExport implements `userport export`: an export job created over HTTP,
// followed with a progress bar, its file downloaded, checked and written.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var rc config.Remote
	fs := newFlagSet("export", "[flags]", "export the tenant's users (or one connection's) to a gzip'd CSV or NDJSON file, over the Management API")
	rc.Flags(fs)
	connName := fs.String("connection", "", "export the users of the connection of this name (or this id)")
	connID := fs.String("connection-id", "", "export the users of the connection of this id (con_...)")
	format := fs.String("format", "", "csv or json (NDJSON); default: the one -o's name says (.csv, .json, .ndjson, with or without .gz), else csv")
	var fields client.Fields
	fs.Var(&fields, "field", "a field to export, PATH or PATH=EXPORT_AS (user_metadata.plan=plan); repeat for each; default: the server's default set")
	limit := fs.Int("limit", 0, "export at most this many users; 0: all")
	out := fs.String("o", "", "the file to write, - for standard output (progress and summary then go to stderr); default: the name the server gives it ({tenant}.csv.gz), without .gz with --gunzip")
	gunzip := fs.Bool("gunzip", false, "write the file uncompressed")
	force := fs.Bool("force", false, "overwrite the -o file if it exists")
	if _, err := parseCommand(fs, args, stderr, &rc, 0); err != nil {
		return err
	}
	if *connName != "" && *connID != "" {
		return errors.New("give --connection or --connection-id, not both")
	}
	if *limit < 0 {
		return errors.New("--limit must not be negative")
	}
	if err := checkOutput(*out, *force, *gunzip, stdout); err != nil {
		return err
	}
	warnFields(stderr, fields)
	c, err := rc.Client()
	if err != nil {
		return err
	}
	start := time.Now()
	req := client.ExportRequest{ConnectionID: *connID, Format: cmp.Or(*format, client.FormatOf(*out), "csv"), Limit: *limit, Fields: fields}
	if *connName != "" {
		if req.ConnectionID, err = c.ConnectionID(ctx, *connName); err != nil {
			return err
		}
	}
	info := stdout
	if *out == client.Stdout {
		info = stderr // stdout carries the file
	}
	job, err := exportJob(ctx, c, req, rc.PollInterval, info)
	if err != nil {
		return err
	}
	path := cmp.Or(*out, client.ExportFileName(job.Location, *gunzip))
	if err := client.CheckOutput(path, *force); err != nil { // the server's name, or a file created meanwhile
		return err
	}
	return downloadExport(ctx, c, job, exportOutput{path, stdout, *gunzip}, start, info)
}

// checkOutput checks, before the job is created, that the export can be
// written to out (client.CheckOutput), and that -o - would not send gzip to
// a terminal.
func checkOutput(out string, force, gunzip bool, stdout io.Writer) error {
	if out == client.Stdout && !gunzip && progress.IsTerminal(stdout) {
		return errors.New("-o - would write gzip to the terminal: pipe it, or add --gunzip")
	}
	return client.CheckOutput(out, force)
}

// warnFields warns on w of each field whose root is not a profile
// attribute: its column would stay empty (the server takes it, as Auth0
// does).
func warnFields(w io.Writer, fields client.Fields) {
	for _, name := range fields.Unknown() {
		fmt.Fprintf(w, "warning: --field %s does not start with a user profile attribute (email, user_metadata, app_metadata, ...): its column will be empty\n", name)
	}
}

// exportJob creates the export and follows it to its end, showing its
// progress on w; it returns the completed job.
func exportJob(ctx context.Context, c *client.Client, req client.ExportRequest, poll time.Duration, w io.Writer) (*client.Job, error) {
	job, err := c.CreateExport(ctx, req)
	if err != nil {
		return nil, err
	}
	p := progress.NewJob(w, job)
	if job, err = c.Wait(ctx, job.ID, poll, p.Show); err != nil {
		return nil, err
	}
	if job.Status != "completed" {
		return nil, fmt.Errorf("export job %s is %s: %s", job.ID, job.Status, job.StatusDetails)
	}
	return job, nil
}

// exportOutput is where an export's file goes: a path, or stdout when the
// path is client.Stdout; gunzip'd or not.
type exportOutput struct {
	path   string
	stdout io.Writer
	gunzip bool
}

// downloadExport writes the completed job's file to out and prints what
// was written on w.
func downloadExport(ctx context.Context, c *client.Client, job *client.Job, out exportOutput, start time.Time, w io.Writer) error {
	name := out.path
	if name == client.Stdout {
		name = "standard output"
	}
	onBytes, finish := progress.Bytes(w, "downloading "+name)
	saved, err := out.save(ctx, c, job, onBytes)
	finish()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "exported %d users to %s: %d bytes in %.2fs (job %s)\n",
		saved.Rows, name, saved.Bytes, time.Since(start).Seconds(), job.ID)
	return err
}

// save writes job's file to out, reporting the bytes received to onBytes.
func (out exportOutput) save(ctx context.Context, c *client.Client, job *client.Job, onBytes func(done, total int64)) (*client.Saved, error) {
	if out.path == client.Stdout {
		return c.WriteExport(ctx, job, out.stdout, out.gunzip, onBytes)
	}
	return c.DownloadExport(ctx, job, out.path, out.gunzip, onBytes)
}
