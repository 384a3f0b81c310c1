package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/userport/userport"
)

// CleanupArgs is the periodic River job that enforces the lifetimes.
type CleanupArgs struct{}

// Kind names the River job kind.
func (CleanupArgs) Kind() string { return "userport_cleanup" }

// cleanupWorker runs Cleanup, then hands exports whose worker died to a
// live one.
type cleanupWorker struct {
	river.WorkerDefaults[CleanupArgs]
	deps    Deps
	cfg     Config
	enqueue func(ctx context.Context, args river.JobArgs) error
}

// Work runs one cleanup pass.
func (w *cleanupWorker) Work(ctx context.Context, _ *river.Job[CleanupArgs]) error {
	cfg := w.cfg.withDefaults()
	return errors.Join(
		Cleanup(ctx, w.deps, cfg.Lifetimes),
		rescueStale(ctx, w.deps, w.deps.Clock.Now().Add(-cfg.StaleAfter), w.enqueue),
	)
}

// rescueStale enqueues the exports still processing whose runner's last
// heartbeat is older than staleBefore: their worker was killed (a shutdown
// puts them back to pending), and River would only rescue their own job at
// its time limit, hours later. The new job's worker claims the export and
// writes it again from the start; if the old runner was only slow, its next
// heartbeat finds the export taken over and it stops.
func rescueStale(ctx context.Context, deps Deps, staleBefore time.Time, enqueue func(context.Context, river.JobArgs) error) error {
	jobs, err := deps.Store.ListJobs(ctx, userport.JobFilter{Type: userport.JobUsersExport, Statuses: []userport.JobStatus{userport.JobProcessing}})
	if err != nil {
		return fmt.Errorf("list running exports: %w", err)
	}
	var errs []error
	for _, j := range jobs {
		if !j.HeartbeatAt.Before(staleBefore) || !j.StartedAt.Before(staleBefore) {
			continue // alive, or started just now (claimed in a moment)
		}
		deps.Logger.Warn("export lost its worker; enqueued again", "job_id", j.ID, "tenant", j.Tenant, "heartbeat", j.HeartbeatAt)
		if err := enqueue(ctx, ExportArgs{Tenant: j.Tenant, JobID: j.ID}); err != nil {
			errs = append(errs, fmt.Errorf("enqueue stale export %s: %w", j.ID, err))
		}
	}
	return errors.Join(errs...)
}

// Cleanup fails exports running past their time limit, deletes the files of
// exports past their file lifetime (the job becomes expired), purges job
// records past their record lifetime (and webhook deliveries as old), the
// users of deleted connections, and
// the tombstones of users deleted longer ago than the tombstone retention.
func Cleanup(ctx context.Context, deps Deps, l userport.Lifetimes) error {
	l = l.WithDefaults()
	now := deps.Clock.Now()
	return errors.Join(
		failOverdue(ctx, deps, now, l.Export),
		expireFiles(ctx, deps, now.Add(-l.File)),
		purgeRecords(ctx, deps, now.Add(-l.Record)),
		purgeDeliveries(ctx, deps, now.Add(-l.Record)),
		purgeConnections(ctx, deps),
		purgeTombstones(ctx, deps, now.Add(-l.Tombstones)),
	)
}

// deliveryPurgeBatch is how many webhook deliveries one statement of the
// purge deletes: short transactions, whatever the backlog.
const deliveryPurgeBatch = 2000

// purgeDeliveries deletes the webhook deliveries created before
// createdBefore (the job records' lifetime: a delivery's ten attempts end
// within about three days), a batch at a time.
func purgeDeliveries(ctx context.Context, deps Deps, createdBefore time.Time) error {
	for {
		n, err := deps.Store.PurgeDeliveries(ctx, createdBefore, deliveryPurgeBatch)
		if err != nil {
			return fmt.Errorf("purge webhook deliveries: %w", err)
		}
		if n < deliveryPurgeBatch || ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// purgeTombstones deletes the tombstones of users deleted before before,
// raising their tenants' horizons: a cursor from before them is refused
// from then on (userport.CursorCheck).
func purgeTombstones(ctx context.Context, deps Deps, before time.Time) error {
	n, err := deps.Store.PurgeTombstones(ctx, before)
	if err != nil {
		return fmt.Errorf("purge tombstones: %w", err)
	}
	if n > 0 {
		deps.Logger.Info("purged the tombstones of users deleted before the retention", "tombstones", n, "before", before)
	}
	return nil
}

// purgeBatch is how many users of a deleted connection one transaction
// deletes: short enough that the API's writes wait little between batches.
const purgeBatch = 1000

// purgeConnections deletes the users of every deleted connection, batch by
// batch, then the connection itself.
func purgeConnections(ctx context.Context, deps Deps) error {
	conns, err := deps.Store.ListDeletedConnections(ctx)
	if err != nil {
		return fmt.Errorf("list deleted connections: %w", err)
	}
	for _, c := range conns {
		total := 0
		for {
			n, err := deps.Store.PurgeConnection(ctx, c.Tenant, c.ID, purgeBatch)
			if err != nil {
				return fmt.Errorf("purge connection %s: %w", c.ID, err)
			}
			if n == 0 {
				break
			}
			total += n
		}
		deps.Logger.Info("purged a deleted connection", "tenant", c.Tenant, "connection", c.ID, "users", total)
	}
	return nil
}

// failOverdue fails the exports that started before the deadline and still run
// (their worker may have died: nothing else would ever finish them).
func failOverdue(ctx context.Context, deps Deps, now time.Time, limit time.Duration) error {
	jobs, err := deps.Store.ListJobs(ctx, userport.JobFilter{Type: userport.JobUsersExport, Statuses: []userport.JobStatus{userport.JobProcessing}})
	if err != nil {
		return fmt.Errorf("list running exports: %w", err)
	}
	var errs []error
	for _, j := range jobs {
		if now.Sub(j.StartedAt) < limit {
			continue
		}
		_, err := deps.transitions().Change(ctx, j.Tenant, j.ID, func(j *userport.Job) error {
			return j.TimeOut("", now, limit) // whichever runner runs it
		})
		if err != nil && !errors.Is(err, userport.ErrJobNotProcessing) && userport.ErrorCode(err) != userport.ENOTFOUND {
			errs = append(errs, fmt.Errorf("fail overdue export %s: %w", j.ID, err))
		}
	}
	return errors.Join(errs...)
}

// expireFiles deletes the files of completed exports created before the
// cutoff (everything under the job's directory: the file, and whatever a
// runner that was killed left there) and marks their jobs expired.
func expireFiles(ctx context.Context, deps Deps, createdBefore time.Time) error {
	jobs, err := deps.Store.ListJobs(ctx, userport.JobFilter{Type: userport.JobUsersExport,
		Statuses: []userport.JobStatus{userport.JobCompleted}, CreatedBefore: createdBefore})
	if err != nil {
		return fmt.Errorf("list exports to expire: %w", err)
	}
	var errs []error
	for _, j := range jobs {
		if err := deps.Blobs.DeleteDir(ctx, userport.JobDir(j.Type, j.ID)); err != nil {
			errs = append(errs, fmt.Errorf("delete files of %s: %w", j.ID, err))
			continue
		}
		_, err := deps.transitions().Change(ctx, j.Tenant, j.ID, (*userport.Job).Expire)
		if err != nil && !errors.Is(err, userport.ErrJobNotCompleted) && userport.ErrorCode(err) != userport.ENOTFOUND {
			errs = append(errs, fmt.Errorf("expire %s: %w", j.ID, err))
		}
	}
	return errors.Join(errs...)
}

// purgeRecords deletes job records created before the cutoff, and any file
// they left: an export's directory (its file, or what a killed runner of an
// export that never completed left), or the upload of an import that never
// ended.
func purgeRecords(ctx context.Context, deps Deps, createdBefore time.Time) error {
	jobs, err := deps.Store.ListJobs(ctx, userport.JobFilter{CreatedBefore: createdBefore})
	if err != nil {
		return fmt.Errorf("list jobs to purge: %w", err)
	}
	var errs []error
	for _, j := range jobs {
		var err error
		if j.Type == userport.JobUsersExport {
			err = deps.Blobs.DeleteDir(ctx, userport.JobDir(j.Type, j.ID)) // its file is in there
		} else if j.UploadKey != "" {
			err = deps.Blobs.Delete(ctx, j.UploadKey)
		}
		if userport.ErrorCode(err) == userport.EINVALID {
			// A key that names no blob (`userport import` once stored the
			// path of the caller's file): there is nothing to delete, and
			// failing would keep the record, and this error, forever.
			deps.Logger.Warn("purge a job whose upload key is no blob key", "job_id", j.ID, "key", j.UploadKey, "err", err)
			err = nil
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("delete files of %s: %w", j.ID, err))
			continue
		}
		if err := deps.Store.DeleteJob(ctx, j.Tenant, j.ID); err != nil && userport.ErrorCode(err) != userport.ENOTFOUND {
			errs = append(errs, fmt.Errorf("purge %s: %w", j.ID, err))
		}
	}
	return errors.Join(errs...)
}
