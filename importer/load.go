package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/userport/userport"
)

// LoadStore is what Load and LoadFile need of the store: the importer's
// Store, the job records and the creation of import jobs.
type LoadStore interface {
	Store
	userport.JobStore
	CreateImportJob(ctx context.Context, j *userport.Job, fileBytes int64, limit int, enqueue func(ctx context.Context, tx userport.Tx) error) error
}

// LocalFile is the one file on this machine that an import outside a
// server (`userport load`) reads, at that path.
type LocalFile string

// Open opens the file, whatever the job's (empty) upload key.
func (f LocalFile) Open(context.Context, string) (io.ReadCloser, error) {
	return os.Open(string(f))
}

// LoadOptions are the choices of an import outside a server.
type LoadOptions struct {
	Upsert bool // update the users that exist already
	NewIDs bool // drop the file's user ids: every user gets a new one
	// BatchTime is how long each transaction may hold the database's write
	// lock (0: the importer's default).
	BatchTime time.Duration
}

// LoadFile imports the file at path, of size bytes, into conn as
// `userport load` does: it records the import job (without an upload key:
// the file is the caller's, and the cleanup has none to delete), starts it
// whatever imports are active (no limit) and Loads it. It returns the job,
// and Load's summary and time.
func LoadFile(ctx context.Context, store LoadStore, clock userport.Clock, conn *userport.Connection, path string, size int64,
	opts LoadOptions) (*userport.Job, *userport.ImportSummary, time.Duration, error) {
	job := userport.NewJob(conn.Tenant, userport.JobUsersImport, clock.Now())
	job.ConnectionID, job.Connection, job.Upsert, job.NewIDs = conn.ID, conn.Name, opts.Upsert, opts.NewIDs
	if err := store.CreateImportJob(ctx, job, size, 0, nil); err != nil {
		return nil, nil, 0, err
	}
	job, err := userport.JobTransitions{Store: store}.Start(ctx, conn.Tenant, job.ID, math.MaxInt, clock.Now())
	if err != nil {
		return nil, nil, 0, err
	}
	sum, took, err := Load(ctx, store, clock, job, LocalFile(path), opts.BatchTime)
	return job, sum, took, err
}

// Load runs the whole of the processing job's file at once (no chunks, as
// a server's imports have) in transactions of about batchTime (HoldTime: the
// batches are a server's, and a store that can tell commits early for a
// writer that waits, BatchesStore), then ends the
// job through the Job's transitions at the clock's time: a job that is no
// longer processing (ended by another process) keeps its end. It returns
// the summary (nil when the run failed) and how long the run took.
func Load(ctx context.Context, store LoadStore, clock userport.Clock, job *userport.Job, file Source,
	batchTime time.Duration) (*userport.ImportSummary, time.Duration, error) {
	im := &Importer{Store: store, Files: file, Clock: clock, HoldTime: batchTime}
	start := clock.Now()
	st, _, runErr := im.Run(ctx, job, 0)
	took := clock.Now().Sub(start)
	_, err := userport.JobTransitions{Store: store}.Change(context.WithoutCancel(ctx), job.Tenant, job.ID, func(j *userport.Job) error {
		if runErr != nil {
			return j.Fail("", clock.Now(), userport.ErrorMessage(runErr), summaryOf(st))
		}
		return j.CompleteImport(clock.Now(), st.Summary)
	})
	if runErr != nil {
		return nil, took, errors.Join(fmt.Errorf("import %s: %w", job.ID, runErr), err)
	}
	return &st.Summary, took, err
}

// summaryOf is the summary of st, nil without one.
func summaryOf(st *userport.ImportState) *userport.ImportSummary {
	if st == nil {
		return nil
	}
	return &st.Summary
}
