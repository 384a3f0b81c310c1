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
	format := fs.String("format", "csv", "csv or json (NDJSON)")
	var fields client.Fields
	fs.Var(&fields, "field", "a field to export, PATH or PATH=EXPORT_AS (user_metadata.plan=plan); repeat for each; default: the server's default set")
	limit := fs.Int("limit", 0, "export at most this many users; 0: all")
	out := fs.String("o", "", "the file to write; default: the name the server gives it ({tenant}.csv.gz), without .gz with --gunzip")
	gunzip := fs.Bool("gunzip", false, "write the file uncompressed")
	if _, err := parseCommand(fs, args, stderr, &rc, 0); err != nil {
		return err
	}
	if *connName != "" && *connID != "" {
		return errors.New("give --connection or --connection-id, not both")
	}
	if *limit < 0 {
		return errors.New("--limit must not be negative")
	}
	c, err := rc.Client()
	if err != nil {
		return err
	}
	start := time.Now()
	req := client.ExportRequest{ConnectionID: *connID, Format: *format, Limit: *limit, Fields: fields}
	if *connName != "" {
		if req.ConnectionID, err = c.ConnectionID(ctx, *connName); err != nil {
			return err
		}
	}
	job, err := exportJob(ctx, c, req, rc.PollInterval, stdout)
	if err != nil {
		return err
	}
	return downloadExport(ctx, c, job, cmp.Or(*out, client.ExportFileName(job.Location, *gunzip)), *gunzip, start, stdout)
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

// downloadExport writes the completed job's file to path and prints what
// was written.
func downloadExport(ctx context.Context, c *client.Client, job *client.Job, path string, gunzip bool, start time.Time, w io.Writer) error {
	onBytes, finish := progress.Bytes(w, "downloading "+path)
	saved, err := c.DownloadExport(ctx, job, path, gunzip, onBytes)
	finish()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "exported %d users to %s: %d bytes in %.2fs (job %s)\n",
		saved.Rows, saved.Path, saved.Bytes, time.Since(start).Seconds(), job.ID)
	return err
}
