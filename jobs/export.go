package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/countio"
)

// ExportArgs is the River job that runs one users_export job.
type ExportArgs struct {
	Tenant string `json:"tenant"`
	JobID  string `json:"job_id"`
}

// Kind names the River job kind.
func (ExportArgs) Kind() string { return "userport_export" }

// exportWorker runs exports.
type exportWorker struct {
	river.WorkerDefaults[ExportArgs]
	deps    Deps
	cfg     Config
	enqueue func(ctx context.Context, args river.JobArgs) error // queues the helpers of a split export
}

// Timeout lets an export run until the 8 h limit (plus the time to fail it).
func (w *exportWorker) Timeout(*river.Job[ExportArgs]) time.Duration {
	return w.cfg.Lifetimes.Export + time.Minute
}

// Work starts the job (within the tenant's limit), claims it, writes the
// file and completes the job, or fails it with a reason.
func (w *exportWorker) Work(ctx context.Context, rj *river.Job[ExportArgs]) error {
	a := rj.Args
	ctx, _ = w.deps.jobContext(ctx, a.Tenant, a.JobID)
	job, err := w.deps.transitions().Start(ctx, a.Tenant, a.JobID, w.cfg.MaxExportsPerTenant, w.deps.Clock.Now())
	if userport.ErrorCode(err) == userport.ENOTFOUND {
		return river.JobCancel(err) // purged meanwhile: nothing to do
	} else if err != nil {
		return err
	}
	switch job.Status {
	case userport.JobPending: // the tenant is at its limit: try again soon
		return river.JobSnooze(w.cfg.LimitRetry)
	case userport.JobProcessing:
		job, err := w.claim(ctx, job)
		if errors.Is(err, userport.ErrJobNotProcessing) || errors.Is(err, userport.ErrJobClaimed) || userport.ErrorCode(err) == userport.ENOTFOUND {
			return nil // ended meanwhile, or running in a live worker: a duplicate
		} else if err != nil {
			return err
		}
		return w.run(ctx, job)
	}
	return nil // completed, failed or expired already: a late duplicate
}

// claim makes this execution the runner of a processing export, unless
// another runner's heartbeat is younger than StaleAfter. The runner token
// guards every later write: a runner that was taken over (its worker seemed
// dead, but was only slow) sees that at its next heartbeat and stops.
func (w *exportWorker) claim(ctx context.Context, job *userport.Job) (*userport.Job, error) {
	token, now := userport.RandomString(16), w.deps.Clock.Now()
	return w.deps.transitions().Change(ctx, job.Tenant, job.ID, func(j *userport.Job) error {
		return j.Claim(token, now, w.cfg.StaleAfter)
	})
}

// run exports a claimed job and records the outcome: in one piece, or in
// parts that several workers write at once (split.go).
func (w *exportWorker) run(ctx context.Context, job *userport.Job) error {
	// The limit counts from StartedAt on the injected clock, so a rescued job
	// keeps the time it has already used.
	ctx, cancelTimeout := context.WithTimeout(ctx, w.cfg.Lifetimes.Export-w.deps.Clock.Now().Sub(job.StartedAt))
	defer cancelTimeout()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// The heartbeat starts before the plan, whose count and cut points may
	// take a while on a large tenant. The users written so far are counted
	// here, or, once the export is split, by its parts.
	var done atomic.Int64
	var split atomic.Pointer[splitProgress]
	stop := w.reportProgress(ctx, cancel, job, func(ctx context.Context) int64 {
		if sp := split.Load(); sp != nil {
			return sp.done(ctx)
		}
		return done.Load()
	})
	defer stop()
	parts, err := w.plan(ctx, job)
	if err != nil {
		stop()
		return w.finish(ctx, job, err)
	}
	if parts != nil {
		split.Store(&splitProgress{w: w, job: job})
		return w.runSplit(ctx, stop, job)
	}
	file, err := w.write(ctx, job, &done)
	stop()
	if err != nil {
		return w.finish(ctx, job, err)
	}
	_, err = w.complete(ctx, job, file)
	return err
}

// mark records the store's current watermark in job before the export reads
// any user: the file then holds every change up to it, and the manifest's
// cursor names it.
func (w *exportWorker) mark(ctx context.Context, job *userport.Job) error {
	now := w.deps.Clock.Now()
	m, err := w.deps.Store.Watermark(ctx, job.Tenant)
	if err != nil {
		return fmt.Errorf("watermark: %w", err)
	}
	marked, err := w.deps.transitions().Change(ctx, job.Tenant, job.ID, func(j *userport.Job) error {
		return j.RecordMark(job.Runner, m, now)
	})
	if err != nil {
		return err
	}
	job.Mark, job.MarkAt = marked.Mark, marked.MarkAt
	return nil
}

// complete records the committed file of job, unless the job is no longer
// this runner's: then the file is deleted and completed is false.
func (w *exportWorker) complete(ctx context.Context, job *userport.Job, file userport.ExportFile) (completed bool, err error) {
	file.Key, file.Name = job.FileKey, job.FileName
	// The file is committed: a database that is away for a while delays
	// the completion, it does not redo the export.
	err = w.untilAvailable(ctx, func(ctx context.Context) error {
		_, err := w.deps.transitions().Change(ctx, job.Tenant, job.ID, func(j *userport.Job) error {
			return j.CompleteExport(job.Runner, w.deps.Clock.Now(), file)
		})
		return err
	})
	if errors.Is(err, userport.ErrJobNotProcessing) || userport.ErrorCode(err) == userport.ENOTFOUND {
		// Failed (by the time limit), taken over or purged meanwhile: the
		// file goes too.
		return false, w.deps.Blobs.Delete(context.WithoutCancel(ctx), job.FileKey)
	} else if err != nil {
		return false, err
	}
	w.deps.finished(ctx, job, userport.JobCompleted, slog.Int64("rows", file.Rows), slog.Int64("bytes", file.Bytes))
	return true, nil
}

// total is how many users the job will write, for the progress figures.
func (w *exportWorker) total(ctx context.Context, job *userport.Job) (int64, error) {
	n, err := w.deps.Store.CountUsers(ctx, job.Tenant, job.ConnectionID)
	if err != nil {
		return 0, err
	}
	if job.Limit > 0 && int64(job.Limit) < n {
		n = int64(job.Limit)
	}
	return n, nil
}

// write streams the file into the blob store and commits it: its rows, its
// size and its sha256, hashed as it is written.
func (w *exportWorker) write(ctx context.Context, job *userport.Job, done *atomic.Int64) (userport.ExportFile, error) {
	job.FileName = userport.ExportFileName(job.Tenant, job.Format)
	job.FileKey = userport.ExportFileKey(job.ID, job.Runner, job.FileName)
	bw, err := w.deps.Blobs.Create(ctx, job.FileKey)
	if err != nil {
		return userport.ExportFile{}, err
	}
	h := sha256.New()
	cw := &countio.Writer{W: io.MultiWriter(bw, h)}
	res, err := w.deps.Exporter.Export(ctx, job, cw, func(n int64) { done.Add(n) })
	if err != nil {
		return userport.ExportFile{}, errors.Join(err, bw.Abort())
	}
	if err := bw.Commit(); err != nil {
		return userport.ExportFile{}, err
	}
	return userport.ExportFile{Rows: res.Rows, Bytes: cw.N, SHA256: hex.EncodeToString(h.Sum(nil)),
		Tombstones: res.Tombstones, FieldCounts: res.FieldCounts}, nil
}

// reportProgress writes percentage_done and time_left_seconds, and the
// runner's heartbeat, every ProgressInterval from its own goroutine, so the
// pipeline never waits for it. Another goroutine counts the users to export
// meanwhile (the count took 4 % of a 1,000,000-user CSV export). When the
// job is no longer this runner's (the cleanup failed it at its time limit, or
// another worker took it over), it cancels the export with errNotProcessing.
func (w *exportWorker) reportProgress(ctx context.Context, cancel context.CancelCauseFunc, job *userport.Job, done func(context.Context) int64) (stop func()) {
	ctx, stopCount := context.WithCancel(ctx)
	var total atomic.Int64 // 0 (progress 0 %) until counted
	counted := make(chan struct{})
	go func() {
		// The heartbeat does not wait for the count, which may take long on a
		// large tenant whose index is not in the page cache.
		defer close(counted)
		n, err := w.total(ctx, job)
		if err != nil && ctx.Err() == nil {
			// The job goes on; its progress stays at 0 (progress of a total of 0).
			w.deps.logger(ctx).Warn("count users to export", "err", err)
		}
		total.Store(n)
	}()
	stopBeat := beat(ctx, w.cfg.ProgressInterval, func(ctx context.Context) error {
		err := w.writeProgress(ctx, job, total.Load(), done(ctx))
		if errors.Is(err, userport.ErrJobNotProcessing) {
			cancel(userport.ErrJobNotProcessing)
			return err
		}
		return nil
	})
	return func() { stopBeat(); stopCount(); <-counted }
}

// writeProgress records one progress figure and the heartbeat.
func (w *exportWorker) writeProgress(ctx context.Context, job *userport.Job, total, done int64) error {
	now := w.deps.Clock.Now()
	pct, left := progress(done, total, now.Sub(job.StartedAt))
	_, err := w.deps.transitions().Change(ctx, job.Tenant, job.ID, func(j *userport.Job) error {
		return j.Progress(job.Runner, now, pct, left)
	})
	if userport.ErrorCode(err) == userport.ENOTFOUND {
		err = userport.ErrJobNotProcessing
	}
	if err != nil && !errors.Is(err, userport.ErrJobNotProcessing) && ctx.Err() == nil {
		w.deps.logger(ctx).Warn("write job progress", "err", err)
	}
	return err
}

// progress computes percentage_done (0-99 while running) and
// time_left_seconds from the users done so far and the time spent.
func progress(done, total int64, elapsed time.Duration) (pct, left int) {
	if total <= 0 || done <= 0 {
		return 0, 0
	}
	done = min(done, total)
	pct = int(done * 100 / total)
	if pct > 99 {
		pct = 99
	}
	rate := float64(done) / max(elapsed.Seconds(), 0.001)
	left = int(float64(total-done)/rate + 0.5)
	return pct, left
}

// finish records a failed export. A job stopped by shutdown goes back to
// pending and is redone when a worker runs again; one stopped by an
// unavailable database (restarted, failed over) goes back to pending once
// the database answers again, and is redone soon; any other failure is final.
func (w *exportWorker) finish(ctx context.Context, job *userport.Job, cause error) error {
	bg := context.WithoutCancel(ctx)
	if errors.Is(context.Cause(ctx), userport.ErrJobNotProcessing) {
		return nil // ended by someone else (the cleanup at the time limit, or another worker)
	}
	if errors.Is(cause, context.Canceled) {
		err := w.handBack(bg, job, 0)
		if err != nil && !isSnooze(err) {
			err = errors.Join(cause, err)
		}
		return err
	}
	if userport.ErrorCode(cause) == userport.EUNAVAILABLE && ctx.Err() == nil {
		w.deps.Logger.Warn("export interrupted: the database is unavailable; it runs again once the database answers",
			"job_id", job.ID, "err", cause)
		// Stopped while the database is still away, the job stays processing:
		// the cleanup enqueues it again once its heartbeat is stale.
		return w.untilAvailable(ctx, func(ctx context.Context) error { return w.handBack(ctx, job, w.cfg.LimitRetry) })
	}
	_, err := w.deps.transitions().Change(bg, job.Tenant, job.ID, func(j *userport.Job) error {
		if errors.Is(cause, context.DeadlineExceeded) {
			return j.TimeOut(job.Runner, w.deps.Clock.Now(), w.cfg.Lifetimes.Export)
		}
		return j.Fail(job.Runner, w.deps.Clock.Now(), userport.ErrorMessage(cause), nil)
	})
	switch {
	case err == nil:
		w.deps.finished(bg, job, userport.JobFailed, slog.Any("err", cause))
	case errors.Is(err, userport.ErrJobNotProcessing) || userport.ErrorCode(err) == userport.ENOTFOUND:
		w.deps.logger(bg).Info("export stopped: it ended elsewhere", "err", cause)
	default:
		w.deps.logger(bg).Error("export failed; recording the failure failed too", "err", cause, "record_err", err)
		return err
	}
	return river.JobCancel(cause)
}

// handBack puts a job this runner runs back to pending and answers River's
// snooze, so that River runs it again after snooze without using an
// attempt; nil when the job is no longer this runner's.
func (w *exportWorker) handBack(ctx context.Context, job *userport.Job, snooze time.Duration) error {
	_, err := w.deps.transitions().Change(ctx, job.Tenant, job.ID, func(j *userport.Job) error {
		return j.HandBack(job.Runner)
	})
	if errors.Is(err, userport.ErrJobNotProcessing) || userport.ErrorCode(err) == userport.ENOTFOUND {
		return nil
	} else if err != nil {
		return fmt.Errorf("hand the export back: %w", err)
	}
	return river.JobSnooze(snooze)
}

// isSnooze reports whether err is River's snooze.
func isSnooze(err error) bool {
	var s *river.JobSnoozeError
	return errors.As(err, &s)
}

// untilAvailable runs fn until it returns anything but EUNAVAILABLE, waiting
// LimitRetry between two tries, or until ctx is done (then the last error).
func (w *exportWorker) untilAvailable(ctx context.Context, fn func(ctx context.Context) error) error {
	for {
		err := fn(context.WithoutCancel(ctx))
		if userport.ErrorCode(err) != userport.EUNAVAILABLE {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(w.cfg.LimitRetry):
		}
	}
}
