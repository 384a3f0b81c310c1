package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/userport/userport"
)

// LoadStore is what Load needs of the store: the importer's Store and the
// job records.
type LoadStore interface {
	Store
	userport.JobStore
}

// LocalFile is the one file on this machine that an import outside a
// server (`userport load`) reads, at that path.
type LocalFile string

// Open opens the file, whatever the job's (empty) upload key.
func (f LocalFile) Open(context.Context, string) (io.ReadCloser, error) {
	return os.Open(string(f))
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
