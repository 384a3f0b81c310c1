package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/logctx"
)

// Metrics records what the workers of this process finish; metrics.Jobs
// implements it. Each process counts its own jobs: see docs/operations.md.
type Metrics interface {
	// JobFinished records a job that ended with status (completed or
	// failed) after running for d since it started.
	JobFinished(typ userport.JobType, status userport.JobStatus, d time.Duration)
	// Exported records a completed export's rows and file bytes.
	Exported(rows, bytes int64)
	// Imported records an ended import's outcome and the bytes of its file
	// it read.
	Imported(s userport.ImportSummary, bytes int64)
}

// noMetrics records nothing.
type noMetrics struct{}

func (noMetrics) JobFinished(userport.JobType, userport.JobStatus, time.Duration) {}
func (noMetrics) Exported(int64, int64)                                           {}
func (noMetrics) Imported(userport.ImportSummary, int64)                          {}

// metrics returns the Metrics of d, never nil.
func (d Deps) metrics() Metrics {
	if d.Metrics == nil {
		return noMetrics{}
	}
	return d.Metrics
}

// jobContext returns ctx carrying a logger that names the job, and the logger.
func (d Deps) jobContext(ctx context.Context, tenant, id string) (context.Context, *slog.Logger) {
	l := d.Logger.With(slog.String("job_id", id), slog.String("tenant", tenant))
	return logctx.With(ctx, l), l
}

// logger returns the logger ctx carries (the job's), else the workers' own.
func (d Deps) logger(ctx context.Context) *slog.Logger {
	return logctx.From(ctx, d.Logger)
}

// transitions is the seam every job change of the workers and the cleanup
// passes through (userport.JobTransitions), observed by observe.
func (d Deps) transitions() userport.JobTransitions {
	t := userport.JobTransitions{Store: d.Store, Observe: d.observe}
	if d.Webhooks != nil && d.insertTx != nil {
		t.Enqueue = d.enqueueEvent
	}
	return t
}

// enqueueEvent queues the webhook event of a job change, if it makes one,
// in the transaction tx that writes the change.
func (d Deps) enqueueEvent(ctx context.Context, tx userport.Tx, before userport.JobStatus, after *userport.Job) error {
	args, ok, err := d.eventArgs(before, after)
	if err != nil || !ok {
		return err
	}
	if err := d.insertTx(ctx, tx, []river.InsertManyParams{{Args: args}}); err != nil {
		return fmt.Errorf("enqueue the %s event of %s: %w", args.Type, after.ID, err)
	}
	return nil
}

// observe sees every job change that took effect: it counts each job end
// (processing -> completed or failed, whoever ended it: a worker, or the
// cleanup at the time limit) and each completed export's file in the
// metrics, then tells Deps.Observe.
func (d Deps) observe(ctx context.Context, before userport.JobStatus, after *userport.Job) {
	if before == userport.JobProcessing && (after.Status == userport.JobCompleted || after.Status == userport.JobFailed) {
		d.metrics().JobFinished(after.Type, after.Status, after.CompletedAt.Sub(after.StartedAt))
		if after.Type == userport.JobUsersExport && after.Status == userport.JobCompleted {
			d.metrics().Exported(after.Rows, after.FileBytes)
		}
	}
	if d.Observe != nil {
		d.Observe(ctx, before, after)
	}
}

// finished logs a job that ended with status (the metrics count it in
// observe).
func (d Deps) finished(ctx context.Context, job *userport.Job, status userport.JobStatus, attrs ...slog.Attr) {
	took := d.Clock.Now().Sub(job.StartedAt)
	level := slog.LevelInfo
	if status == userport.JobFailed {
		level = slog.LevelError
	}
	attrs = append(attrs, slog.Duration("duration", took))
	d.logger(ctx).LogAttrs(ctx, level, string(job.Type)+" "+string(status), attrs...)
}
