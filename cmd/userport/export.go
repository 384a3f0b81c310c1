package main

import (
	"cmp"
	"context"
	"errors"
	"io"
	"time"

	"github.com/userport/userport/client"
	"github.com/userport/userport/internal/config"
	"github.com/userport/userport/internal/progress"
	"github.com/userport/userport/internal/report"
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
	if err := progress.CheckOutput(*out, *force, *gunzip, stdout); err != nil {
		return err
	}
	report.UnknownFields(stderr, fields)
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
	job, err := progress.Export(ctx, c, req, rc.PollInterval, info)
	if err != nil {
		return err
	}
	path := cmp.Or(*out, client.ExportFileName(job.Location, *gunzip))
	if err := client.CheckOutput(path, *force); err != nil { // the server's name, or a file created meanwhile
		return err
	}
	return progress.Download(ctx, c, job, progress.Output{Path: path, Stdout: stdout, Gunzip: *gunzip}, start, info)
}
