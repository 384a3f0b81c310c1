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

// DefaultSplitMinUsers is the fewest users of one part of a split export.
// At the 25 (CSV of the default fields) to 180 (NDJSON) bytes a user takes
// once compressed, a part of 250,000 users holds about 6 to 44 MB, above S3's
// 5 MiB minimum of a multipart upload's part, so that s3blob's Join copies
// every part inside S3; and a part runs long enough (a second or more) that
// splitting pays for its setup (the cut points, one more job, the join).
const DefaultSplitMinUsers = 250_000

// splitSample is about how many user_ids a split export samples to cut its
// ranges (if the tenant held every user of the store): on PostgreSQL, 1 %
// of the pages of a table of 1,000,000 users, whose 4 ranges then held
// 243,000 to 269,000 users.
const splitSample = 10_000

// ExportPartArgs is the River job of a helper of a split export: it writes
// parts of the export that no worker writes yet, until none is left.
type ExportPartArgs struct {
	Tenant string `json:"tenant"`
	JobID  string `json:"job_id"`
}

// Kind names the River job kind.
func (ExportPartArgs) Kind() string { return "userport_export_part" }

// splits reports whether job may be split: splitting is on and the export
// reads the whole tenant, in user_id order (no limit, no q, no
// changes_since; a filtered or incremental export runs in one piece), into
// a gzip'd file (a Parquet file's parts could not be joined like gzip
// members: a Parquet export runs in one piece too, docs/operations.md).
func (c Config) splits(job *userport.Job) bool {
	return c.SplitParts >= 2 && job.Limit <= 0 && job.Query == "" && job.ChangesSince == "" && job.Format.Gzipped()
}

// splitCount is how many parts an export of total users is cut into: 1 (not
// split) unless splitting is on, the export has no limit, and every part
// gets SplitMinUsers users or more.
func (c Config) splitCount(job *userport.Job, total int64) int {
	if !c.splits(job) {
		return 1
	}
	return int(min(int64(c.SplitParts), total/c.SplitMinUsers))
}

// plan returns the parts of a split export: the ones recorded already (a
// runner that took the export over keeps the parts finished before), or new
// ones when the export is to be split, whose helpers it queues. Nil means
// the export is written in one piece.
func (w *exportWorker) plan(ctx context.Context, job *userport.Job) ([]*userport.ExportPart, error) {
	parts, err := w.deps.Store.ListExportParts(ctx, job.Tenant, job.ID)
	if err != nil {
		return nil, err
	} else if len(parts) > 0 {
		return parts, nil // and the mark recorded before them
	}
	if err := w.mark(ctx, job); err != nil {
		return nil, err
	}
	if !w.cfg.splits(job) {
		return nil, nil
	}
	// A sample, not a count and a walk of the keys: on 1,000,000 users the
	// sample took 0.03 to 0.4 s, whatever the planner's statistics, where
	// the count and walks took 1 to 9 s or more; the ranges need not be
	// equal, only cover every user once.
	sample, err := w.deps.Store.SampleUsers(ctx, job.Tenant, job.ConnectionID, splitSample)
	if err != nil {
		return nil, fmt.Errorf("split export: %w", err)
	}
	total := sample.Users()
	cuts := sample.Cuts(w.cfg.splitCount(job, total))
	if len(cuts) == 0 {
		return nil, nil // too few users, or the sample too small to cut
	}
	parts = make([]*userport.ExportPart, len(cuts)+1)
	for i := range parts {
		p := &userport.ExportPart{Tenant: job.Tenant, JobID: job.ID, Index: i, Status: userport.JobPending}
		if i > 0 {
			p.After = cuts[i-1]
		}
		if i < len(cuts) {
			p.Until = cuts[i]
		}
		parts[i] = p
	}
	if err := w.deps.Store.CreateExportParts(ctx, parts); userport.ErrorCode(err) == userport.ECONFLICT {
		// A runner that this one took over (it was slow, not dead) recorded
		// them meanwhile: they are the export's parts.
		return w.deps.Store.ListExportParts(ctx, job.Tenant, job.ID)
	} else if err != nil {
		return nil, fmt.Errorf("split export: %w", err)
	}
	for range len(parts) - 1 {
		// A helper that is never queued only slows the export down: this
		// runner writes every part no helper takes.
		if err := w.enqueue(ctx, ExportPartArgs{Tenant: job.Tenant, JobID: job.ID}); err != nil {
			w.deps.Logger.Warn("queue a helper of a split export", "job_id", job.ID, "err", err)
		}
	}
	w.deps.Logger.Info("export split", "job_id", job.ID, "parts", len(parts), "users_estimated", total)
	return parts, nil
}

// runSplit writes parts of a split export until every part is written (by
// this runner or by helpers, here or in other workers), then joins them into
// the export's file and completes the job. It takes over a part whose
// runner's heartbeat is stale. stop ends the job's heartbeat, whose progress
// counts the users of every part (splitProgress).
func (w *exportWorker) runSplit(ctx context.Context, stop func(), job *userport.Job) error {
	parts, err := writeParts(ctx, w.deps, w.cfg, job, true)
	if err != nil {
		stop()
		return w.finish(ctx, job, err)
	}
	job.FileName = userport.ExportFileName(job.Tenant, job.Format)
	job.FileKey = userport.ExportFileKey(job.ID, job.Runner, job.FileName)
	keys, file := joinedFile(job, parts)
	err = w.join(ctx, job, keys, &file)
	stop()
	if err != nil {
		return w.finish(ctx, job, err)
	}
	completed, err := w.complete(ctx, job, file)
	if completed {
		// The parts are no longer needed; the cleanup deletes the job's
		// directory anyway at the file's lifetime.
		bg := context.WithoutCancel(ctx)
		for _, key := range keys {
			if err := w.deps.Blobs.Delete(bg, key); err != nil {
				w.deps.Logger.Warn("delete a part of a joined export", "job_id", job.ID, "key", key, "err", err)
			}
		}
	}
	return err
}

// joinedFile is the keys of a split export's parts, in order, and what the
// file they make holds: their rows, and per field their users with a value.
func joinedFile(job *userport.Job, parts []*userport.ExportPart) ([]string, userport.ExportFile) {
	keys := make([]string, len(parts))
	file := userport.ExportFile{FieldCounts: make([]int64, len(job.Fields))}
	for i, p := range parts {
		keys[i], file.Rows = p.FileKey, file.Rows+p.Rows
		for f, n := range p.FieldCounts[:min(len(p.FieldCounts), len(file.FieldCounts))] {
			file.FieldCounts[f] += n
		}
	}
	return keys, file
}

// join joins the parts' files into the export's file and sets file's size
// and sha256, which it reads back once: the blob store joins the parts
// without their bytes passing through here (S3 copies them).
func (w *exportWorker) join(ctx context.Context, job *userport.Job, keys []string, file *userport.ExportFile) (err error) {
	if file.Bytes, err = w.deps.Blobs.Join(ctx, job.FileKey, keys); err != nil {
		return err
	}
	file.SHA256, err = hashBlob(ctx, w.deps.Blobs, job.FileKey)
	return err
}

// splitProgress counts the users a split export's parts have written, as
// their runners last recorded.
type splitProgress struct {
	w    *exportWorker
	job  *userport.Job
	last atomic.Int64 // as of the last list of the parts that succeeded
}

// done lists the parts and sums their counts.
func (sp *splitProgress) done(ctx context.Context) int64 {
	if parts, err := sp.w.deps.Store.ListExportParts(ctx, sp.job.Tenant, sp.job.ID); err == nil {
		sp.last.Store(partsDone(parts))
	}
	return sp.last.Load()
}

// partsDone is how many users the parts have written, as last recorded.
func partsDone(parts []*userport.ExportPart) int64 {
	var n int64
	for _, p := range parts {
		n += p.Done
	}
	return n
}

// writeParts claims and writes the parts of job that no live runner writes,
// one after another, until every part is written; then it returns them. A
// helper (wait false) returns as soon as there is none left to claim; the
// export's runner (wait true) waits for the others' parts, ready to take
// over any whose runner dies.
func writeParts(ctx context.Context, deps Deps, cfg Config, job *userport.Job, wait bool) ([]*userport.ExportPart, error) {
	for {
		parts, err := deps.Store.ListExportParts(ctx, job.Tenant, job.ID)
		if err != nil {
			return nil, err
		}
		if len(parts) == 0 {
			return nil, fmt.Errorf("split export %s/%s: the parts are gone", job.Tenant, job.ID)
		}
		part, err := claimPart(ctx, deps, cfg, parts)
		if err != nil {
			return nil, err
		}
		if part != nil {
			if err := writePart(ctx, deps, cfg, job, part); err != nil {
				return nil, err
			}
			continue
		}
		if allCompleted(parts) || !wait {
			return parts, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(cfg.ProgressInterval):
		}
	}
}

// allCompleted reports whether every part is written.
func allCompleted(parts []*userport.ExportPart) bool {
	for _, p := range parts {
		if p.Status != userport.JobCompleted {
			return false
		}
	}
	return true
}

// claimPart claims the first part that is pending or whose runner's
// heartbeat is stale, with a new runner token; nil if there is none.
func claimPart(ctx context.Context, deps Deps, cfg Config, parts []*userport.ExportPart) (*userport.ExportPart, error) {
	for _, p := range parts {
		if p.Status == userport.JobCompleted {
			continue
		}
		token, now := userport.RandomString(16), deps.Clock.Now()
		claimed, err := deps.Store.UpdateExportPart(ctx, p.Tenant, p.JobID, p.Index, func(p *userport.ExportPart) error {
			return p.Claim(token, now, cfg.StaleAfter)
		})
		if errors.Is(err, userport.ErrPartTaken) {
			continue
		} else if err != nil {
			return nil, err
		}
		if p.Runner != "" {
			deps.Logger.Warn("export part lost its worker; taken over", "job_id", p.JobID, "part", p.Index, "heartbeat", p.HeartbeatAt)
		}
		deps.Logger.Info("export part claimed", "job_id", p.JobID, "part", p.Index, "runner", token)
		return claimed, nil
	}
	return nil, nil
}

// writePart writes one claimed part into a blob of its own and records it.
// Its heartbeat goes with its progress every ProgressInterval; a runner whose
// part was taken over stops and deletes what it wrote. A runner stopped by a
// shutdown gives its part back, for any worker to claim at once.
func writePart(ctx context.Context, deps Deps, cfg Config, job *userport.Job, part *userport.ExportPart) error {
	runner := part.Runner
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	bg := context.WithoutCancel(ctx)
	var done atomic.Int64
	stop := beat(ctx, cfg.ProgressInterval, func(ctx context.Context) error {
		_, err := deps.Store.UpdateExportPart(ctx, part.Tenant, part.JobID, part.Index, func(p *userport.ExportPart) error {
			return p.Beat(runner, deps.Clock.Now(), done.Load())
		})
		if errors.Is(err, userport.ErrPartLost) || userport.ErrorCode(err) == userport.ENOTFOUND {
			cancel(userport.ErrPartLost)
			return err
		}
		if err != nil && ctx.Err() == nil {
			deps.Logger.Warn("write export part progress", "job_id", part.JobID, "part", part.Index, "err", err)
		}
		return nil
	})
	key := userport.ExportPartKey(part.JobID, part.Index, runner)
	file, err := func() (userport.ExportFile, error) {
		bw, err := deps.Blobs.Create(ctx, key)
		if err != nil {
			return userport.ExportFile{}, err
		}
		cw := &countio.Writer{W: bw}
		res, err := deps.Exporter.ExportPart(ctx, job, part, cw, func(n int64) { done.Add(n) })
		if err != nil {
			return userport.ExportFile{}, errors.Join(err, bw.Abort())
		}
		return userport.ExportFile{Key: key, Rows: res.Rows, Bytes: cw.N, FieldCounts: res.FieldCounts}, bw.Commit()
	}()
	stop()
	if errors.Is(context.Cause(ctx), userport.ErrPartLost) {
		return nil // another runner writes it
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			_, rerr := deps.Store.UpdateExportPart(bg, part.Tenant, part.JobID, part.Index, func(p *userport.ExportPart) error {
				return p.Release(runner)
			})
			if rerr != nil && !errors.Is(rerr, userport.ErrPartLost) {
				deps.Logger.Warn("give back an export part", "job_id", part.JobID, "part", part.Index, "err", rerr)
			}
		}
		return fmt.Errorf("export part %d: %w", part.Index, err)
	}
	_, err = deps.Store.UpdateExportPart(bg, part.Tenant, part.JobID, part.Index, func(p *userport.ExportPart) error {
		return p.Complete(runner, file)
	})
	if errors.Is(err, userport.ErrPartLost) || userport.ErrorCode(err) == userport.ENOTFOUND {
		return deps.Blobs.Delete(bg, key)
	}
	return err
}

// beat calls fn every interval from its own goroutine until fn fails or
// stop is called.
func beat(ctx context.Context, interval time.Duration, fn func(ctx context.Context) error) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if fn(ctx) != nil {
					return
				}
			}
		}
	}()
	return func() { cancel(); <-finished }
}

// exportPartWorker runs the helpers of split exports.
type exportPartWorker struct {
	river.WorkerDefaults[ExportPartArgs]
	deps Deps
	cfg  Config
}

// Timeout lets a helper run until the export's 8 h limit.
func (w *exportPartWorker) Timeout(*river.Job[ExportPartArgs]) time.Duration {
	return w.cfg.Lifetimes.Export + time.Minute
}

// Work writes parts of a processing export until none is left to claim. A
// part that fails fails the export (its runner then stops); a helper stopped
// by a shutdown leaves its part to the others.
func (w *exportPartWorker) Work(ctx context.Context, rj *river.Job[ExportPartArgs]) error {
	a := rj.Args
	job, err := w.deps.Store.FindJob(ctx, a.Tenant, a.JobID)
	if userport.ErrorCode(err) == userport.ENOTFOUND {
		return river.JobCancel(err)
	} else if err != nil {
		return err
	}
	if job.Status != userport.JobProcessing {
		return nil // ended, or back to pending: its runner will write what is left
	}
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Lifetimes.Export-w.deps.Clock.Now().Sub(job.StartedAt))
	defer cancel()
	_, err = writeParts(ctx, w.deps, w.cfg, job, false)
	if err == nil || errors.Is(err, context.Canceled) {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return nil // the cleanup fails the export at its time limit
	}
	bg := context.WithoutCancel(ctx)
	w.deps.Logger.LogAttrs(bg, slog.LevelError, "export part failed", slog.String("job_id", job.ID), slog.Any("err", err))
	_, uerr := w.deps.transitions().Change(bg, job.Tenant, job.ID, func(j *userport.Job) error {
		return j.Fail("", w.deps.Clock.Now(), userport.ErrorMessage(err), nil) // whichever runner runs it
	})
	if uerr != nil && !errors.Is(uerr, userport.ErrJobNotProcessing) && userport.ErrorCode(uerr) != userport.ENOTFOUND {
		return uerr
	}
	return river.JobCancel(err)
}

// hashBlob is the hex sha256 of a committed blob, read back once.
func hashBlob(ctx context.Context, blobs userport.BlobStore, key string) (string, error) {
	r, err := blobs.Open(ctx, key)
	if err != nil {
		return "", fmt.Errorf("hash the joined file: %w", err)
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", fmt.Errorf("hash the joined file: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
