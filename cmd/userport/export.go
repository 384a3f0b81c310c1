package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/client"
	"github.com/userport/userport/internal/config"
	"github.com/userport/userport/internal/progress"
	"github.com/userport/userport/internal/report"
	"github.com/userport/userport/internal/syncstate"
)

// runExport implements `userport export`: an export job created over HTTP,
// followed with a progress bar, its file downloaded, checked and written.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var rc config.Remote
	fs := newFlagSet("export", "[flags]", "export the tenant's users (or one connection's) to a gzip'd CSV or NDJSON file, or a Parquet file, over the Management API")
	rc.Flags(fs)
	connName := fs.String("connection", "", "export the users of the connection of this name (or this id)")
	connID := fs.String("connection-id", "", "export the users of the connection of this id (con_...)")
	format := fs.String("format", "", "csv, json (NDJSON) or parquet (a userport extension: not gzip'd); default: the one -o's name says (.csv, .json, .ndjson, with or without .gz, .parquet), else csv")
	var fields client.Fields
	fs.Var(&fields, "field", "a field to export, PATH or PATH=EXPORT_AS (user_metadata.plan=plan); repeat for each; default: the server's default set")
	limit := fs.Int("limit", 0, "export at most this many users; 0: all")
	out := fs.String("o", "", "the file to write, - for standard output (progress and summary then go to stderr); default: the name the server gives it ({tenant}.csv.gz), without .gz with --gunzip")
	gunzip := fs.Bool("gunzip", false, "write the file uncompressed")
	force := fs.Bool("force", false, "overwrite the -o file if it exists")
	q := fs.String("q", "", "export only the users this Auth0 user-search `QUERY` selects, as users search does: "+
		`'app_metadata.plan:"pro" AND logins_count:[10 TO *]'`)
	since := fs.String("changes-since", "", "export only the users created or updated since this `CURSOR` (an earlier export's, "+
		"from its summary or userport jobs manifest ID), and a tombstone for each user deleted since")
	incremental := fs.Bool("incremental", false, "export what changed since the cursor kept in the --state file (every user when the file "+
		"does not exist yet), and keep the new cursor there once the file is downloaded and checked")
	state := fs.String("state", "", "with --incremental, the `FILE` that keeps the cursor between runs (JSON, written atomically, mode 0600)")
	if _, err := parseCommand(fs, args, stderr, &rc, 0); err != nil {
		return err
	}
	if *connName != "" && *connID != "" {
		return errors.New("give --connection or --connection-id, not both")
	}
	if *limit < 0 {
		return errors.New("--limit must not be negative")
	}
	if err := syncstate.CheckFlags(*incremental, *state, *since, *limit); err != nil {
		return err
	}
	if *gunzip && cmp.Or(*format, client.FormatOf(*out)) == client.FormatParquet {
		return errors.New("--gunzip does not apply to a Parquet export: its file is not gzip'd")
	}
	if err := progress.CheckOutput(*out, *force, *gunzip, stdout); err != nil {
		return err
	}
	report.UnknownFields(stderr, fields)
	var last *syncstate.State
	if *incremental {
		var err error
		if last, err = syncstate.Load(*state); err != nil {
			return err
		}
	}
	c, err := rc.Client()
	if err != nil {
		return err
	}
	start := time.Now()
	req := client.ExportRequest{ConnectionID: *connID, Format: cmp.Or(*format, client.FormatOf(*out), "csv"), Limit: *limit, Fields: fields,
		Q: *q, ChangesSince: *since}
	if *connName != "" {
		if req.ConnectionID, err = c.ConnectionID(ctx, *connName); err != nil {
			return err
		}
	}
	info := stdout
	if *out == client.Stdout {
		info = stderr // stdout carries the file
	}
	if *incremental {
		req.ChangesSince = incrementalStart(info, *state, last)
	}
	job, err := progress.Export(ctx, c, req, rc.PollInterval, info)
	if err != nil {
		return syncstate.Refused(err, *state)
	}
	// The manifest: what the file is checked against, and its cursor. A
	// server without manifests (Auth0) serves plain exports all the same.
	m, err := c.Manifest(ctx, job.ID)
	var ce *client.Error
	if errors.As(err, &ce) && ce.StatusCode == http.StatusNotFound && *q == "" && req.ChangesSince == "" && !*incremental {
		m, err = nil, nil
	}
	if err != nil {
		return err
	}
	path := cmp.Or(*out, client.ExportFileName(job.Location, *gunzip))
	if err := client.CheckOutput(path, *force); err != nil { // the server's name, or a file created meanwhile
		return err
	}
	if err := progress.Download(ctx, c, job, progress.Output{Path: path, Stdout: stdout, Gunzip: *gunzip, Manifest: m}, start, info); err != nil {
		return err
	}
	if m == nil {
		return nil
	}
	if len(fields) > 0 { // the fields asked for: the server's default set has columns many users leave empty
		report.EmptyFields(stderr, m)
	}
	if err := report.Manifest(info, m); err != nil || !*incremental {
		return err
	}
	return keepCursor(info, *state, syncstate.State{JobID: job.ID, URL: c.URL(), ExportedAt: time.Now().UTC(), File: path,
		Rows: m.Rows, Tombstones: m.Tombstones}, m)
}

// incrementalStart says what an incremental export starts from, the
// cursor of the state file (last) or none, and returns it.
func incrementalStart(w io.Writer, path string, last *syncstate.State) string {
	if last == nil {
		fmt.Fprintf(w, "no state file %s yet: a full export, whose cursor it will keep\n", path)
		return ""
	}
	fmt.Fprintf(w, "exporting the changes since job %s of %s\n", last.JobID, last.ExportedAt.Format(time.RFC3339))
	return last.Cursor
}

// keepCursor writes the state file at path: s with the manifest m's
// cursor, once the file was downloaded and checked.
func keepCursor(w io.Writer, path string, s syncstate.State, m *userport.ExportManifest) error {
	if m.Cursor == nil {
		return fmt.Errorf("the export has no cursor (its manifest says none): %s was not changed", path)
	}
	s.Cursor = *m.Cursor
	if err := syncstate.Save(path, s); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "kept the cursor in %s: the next run exports what changed since\n", path)
	return err
}
