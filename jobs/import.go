package jobs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/userport/userport"
)

// ImportArgs is the River job that runs one users_import job. Each River
// execution imports for about Config.ImportChunk, then snoozes to continue
// from the committed cursor in a new execution: River rescues an execution
// whose process died only once it has run longer than its kind's timeout, so
// short executions make a crashed import resume soon.
type ImportArgs struct {
	Tenant string `json:"tenant"`
	JobID  string `json:"job_id"`
}

// Kind names the River job kind.
func (ImportArgs) Kind() string { return "userport_import" }

// Importer imports an import job's file; importer.Importer implements it.
type Importer interface {
	// Run imports from the committed cursor for about budget and returns the
	// committed state and whether the file is done.
	Run(ctx context.Context, job *userport.Job, budget time.Duration) (*userport.ImportState, bool, error)
}

// importWorker runs imports, one chunk per River execution.
type importWorker struct {
	river.WorkerDefaults[ImportArgs]
	deps Deps
	cfg  Config
}

// Timeout bounds one execution: its chunk, plus time to finish the batch
// under way when the chunk's budget runs out.
func (w *importWorker) Timeout(*river.Job[ImportArgs]) time.Duration {
	return w.cfg.ImportTimeout
}

// Work claims the job (within the tenant's limit) and imports one chunk.
func (w *importWorker) Work(ctx context.Context, rj *river.Job[ImportArgs]) error {
	a := rj.Args
	ctx, _ = w.deps.jobContext(ctx, a.Tenant, a.JobID)
	job, err := w.deps.transitions().Start(ctx, a.Tenant, a.JobID, w.cfg.MaxImportsPerTenant, w.deps.Clock.Now())
	if userport.ErrorCode(err) == userport.ENOTFOUND {
		return river.JobCancel(err) // purged meanwhile: nothing to do
	} else if err != nil {
		return err
	}
	switch job.Status {
	case userport.JobPending:
		return river.JobSnooze(w.cfg.LimitRetry)
	case userport.JobProcessing: // just started, or resumed after a chunk or a crash
		return w.chunk(ctx, job, rj.Attempt)
	}
	return nil // completed or failed already: a late duplicate
}

// importAttempts is how many River attempts an import gets for an error that
// may pass (a busy database, a disk error) before it fails; chunks that end
// with a snooze do not count.
const importAttempts = 5

// chunk imports for one chunk's budget and says what comes next.
func (w *importWorker) chunk(ctx context.Context, job *userport.Job, attempt int) error {
	st, done, err := w.deps.Importer.Run(ctx, job, w.cfg.ImportChunk)
	switch {
	case err == nil && done:
		return w.complete(ctx, job, st)
	case err == nil:
		return river.JobSnooze(0) // the next chunk, from the committed cursor
	case ctx.Err() != nil:
		// Shut down or over the execution's timeout: what was committed
		// stays, the rest is read again by the next execution.
		return river.JobSnooze(0)
	case userport.ErrorCode(err) == userport.ECONFLICT:
		return river.JobSnooze(w.cfg.LimitRetry) // another execution moved the cursor
	case userport.ErrorCode(err) == userport.EUNAVAILABLE:
		return river.JobSnooze(w.cfg.LimitRetry) // the database was busy: from the committed cursor, soon
	case userport.ErrorCode(err) == userport.EINTERNAL && attempt < importAttempts:
		w.deps.logger(ctx).Warn("import chunk failed; retried later from the committed cursor", "attempt", attempt, "err", err)
		return err // River retries later, from the committed cursor
	}
	return w.fail(ctx, job, err)
}

// complete deletes the uploaded file and records the summary: a client that
// sees the job completed finds its upload gone.
func (w *importWorker) complete(ctx context.Context, job *userport.Job, st *userport.ImportState) error {
	bg := context.WithoutCancel(ctx)
	w.deleteUpload(bg, job)
	_, err := w.deps.transitions().Change(bg, job.Tenant, job.ID, func(j *userport.Job) error {
		return j.CompleteImport(w.deps.Clock.Now(), st.Summary)
	})
	if errors.Is(err, userport.ErrJobNotProcessing) {
		return nil
	} else if err != nil {
		return err
	}
	w.deps.metrics().Imported(st.Summary, st.FileBytes)
	w.deps.finished(bg, job, userport.JobCompleted, slog.Int64("inserted", st.Summary.Inserted),
		slog.Int64("updated", st.Summary.Updated), slog.Int64("failed", st.Summary.Failed), slog.Int64("bytes", st.FileBytes))
	w.analyze(bg, job, st.Summary)
	return nil
}

// analyze lets the store refresh its statistics of the users after an
// import that wrote some. The store analyzes only when enough of the table
// changed since its last analysis (on PostgreSQL autovacuum's rule: a
// tenth), so that the next export of a tenant that an import filled plans
// with the tenant's real size; a failure is only logged.
func (w *importWorker) analyze(ctx context.Context, job *userport.Job, s userport.ImportSummary) {
	if s.Inserted+s.Updated == 0 {
		return
	}
	if err := w.deps.Store.AnalyzeUsers(ctx, false); err != nil {
		w.deps.logger(ctx).Warn("analyze users after an import", "job_id", job.ID, "err", err)
	}
}

// fail deletes the uploaded file and records a failed import with the
// reason (in that order, as complete); the users of the batches committed
// before stay imported.
func (w *importWorker) fail(ctx context.Context, job *userport.Job, cause error) error {
	bg := context.WithoutCancel(ctx)
	w.deleteUpload(bg, job)
	st, err := w.deps.Store.FindImportState(bg, job.Tenant, job.ID)
	if err != nil {
		return err
	}
	_, err = w.deps.transitions().Change(bg, job.Tenant, job.ID, func(j *userport.Job) error {
		return j.Fail("", w.deps.Clock.Now(), userport.ErrorMessage(cause), &st.Summary)
	})
	if errors.Is(err, userport.ErrJobNotProcessing) {
		return river.JobCancel(cause) // ended meanwhile
	} else if err != nil {
		return err
	}
	w.deps.metrics().Imported(st.Summary, st.BytesRead)
	w.deps.finished(bg, job, userport.JobFailed, slog.Any("err", cause))
	return river.JobCancel(cause)
}

// deleteUpload removes the uploaded file; a failure is only logged (the file
// is then an orphan, not a wrong answer).
func (w *importWorker) deleteUpload(ctx context.Context, job *userport.Job) {
	if job.UploadKey == "" {
		return // the command line's import: the file is the caller's
	}
	if err := w.deps.Blobs.Delete(ctx, job.UploadKey); err != nil {
		w.deps.logger(ctx).Warn("delete uploaded import file", "key", job.UploadKey, "err", err)
	}
}
