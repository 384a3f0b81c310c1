package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/importer"
	"github.com/userport/userport/internal/report"
)

// runLoad implements `userport load FILE`: a file imported straight into
// the store, through the same importer and job records as the API's imports,
// without a server (its errors can be read later with GET /jobs/{id}/errors).
func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := newFlagSet("load", "FILE [flags]", "import a JSON-array or NDJSON file (gzip'd or not) straight into the local store, without a server")
	cfg.StorageFlags(fs)
	file := fs.String("file", "", "the file to load, when not given as FILE: a JSON array or NDJSON, gzip'd or not")
	connName := fs.String("connection", userport.DefaultConnectionName, "database connection to load into (created if missing)")
	upsert := fs.Bool("upsert", false, "update the users that exist already")
	newIDs := fs.Bool("new-ids", false, "drop the file's user_id (and its own identity's): every user gets a new id, so that an export "+
		"loads into another connection of its tenant (a userport extension)")
	batchTime := fs.Duration("batch-time", loadBatchTime, "how long each transaction may hold the database's write lock while no other writer waits; "+
		"a write that waits (a server's, on the same store) ends it after the batch under way (about 50ms)")
	rest, err := parseCommand(fs, args, stderr, &cfg, 1)
	if err != nil {
		return err
	}
	if len(rest) == 1 && *file == "" {
		*file = rest[0]
	}
	if *file == "" || len(rest) == 1 && rest[0] != *file {
		return errors.New("name one file: userport load FILE --connection NAME")
	}
	if *batchTime <= 0 {
		return fmt.Errorf("--batch-time %v: give a positive duration, such as 1s", *batchTime)
	}
	path, err := filepath.Abs(*file)
	if err != nil {
		return err
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	clock := userport.SystemClock{}
	store, conn, err := openConnection(ctx, &cfg, *connName, clock)
	if err != nil {
		return err
	}
	defer store.Close()
	job, sum, took, err := importer.LoadFile(ctx, store, clock, conn, path, st.Size(),
		importer.LoadOptions{Upsert: *upsert, NewIDs: *newIDs, BatchTime: *batchTime})
	if sum != nil {
		_ = report.Loaded(stdout, job, sum, took)
	}
	if err != nil {
		return err
	}
	// As after a seed: statistics and visibility for the users just written.
	return store.AnalyzeUsers(ctx, true)
}

// loadBatchTime is the transaction time of `userport load`: on machine A
// batches of importer.DefaultBatchSize users (the most) commit in about this
// long, and larger batches rewrite each random index page once a batch
// instead of once per 50 ms (docs/benchmarks.md, session 8 (importspeed)).
// A transaction can take twice its target, still well within the 5 s busy
// timeout of a server's writes to the same file.
const loadBatchTime = time.Second
