package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/userport/userport"
)

// sqlInsertJob inserts one job (userport.JobArgs).
var sqlInsertJob = `INSERT INTO jobs (` + userport.JobColumns + `) VALUES (` + marks(userport.JobColumnCount) + `)`

// CreateJob inserts j and calls enqueue with the *sql.Tx, in one transaction:
// if enqueue fails, nothing is written and its error is returned. Unless
// limit jobs of j's tenant and type are pending or processing: the
// transaction begins IMMEDIATE, so the count and the insert are atomic.
func (db *DB) CreateJob(ctx context.Context, j *userport.Job, limit int, enqueue func(ctx context.Context, tx userport.Tx) error) (err error) {
	defer mapBusy(&err)
	args, err := jobArgs(j)
	if err != nil {
		return fmt.Errorf("create job: %w", err)
	}
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create job: %w", err)
	}
	defer rollback(tx)
	if err := checkActiveJobs(ctx, tx, j.Tenant, j.Type, limit); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, sqlInsertJob, args...)
	if isConflict(err) {
		return userport.ErrJobConflict()
	} else if err != nil {
		return fmt.Errorf("create job: %w", err)
	}
	if enqueue != nil {
		if err := enqueue(ctx, tx); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create job: commit: %w", err)
	}
	return nil
}

// checkActiveJobs fails with userport.TooManyJobs when limit (> 0) jobs of
// the tenant and type are active (userport.ActiveJobStatuses).
func checkActiveJobs(ctx context.Context, tx *sql.Tx, tenant string, typ userport.JobType, limit int) error {
	if limit <= 0 {
		return nil // no limit: nothing to count
	}
	var n int
	err := tx.QueryRowContext(ctx, sqlCountActive, activeArgs(tenant, typ)...).Scan(&n)
	if err != nil {
		return fmt.Errorf("count %s jobs: %w", typ, err)
	}
	return userport.CheckNewJob(typ, n, limit)
}

// sqlCountActive counts the active jobs of a tenant and type (activeArgs),
// through jobs_type_status: named, because for the jobs ahead of a job
// (sqlCountAhead), which reads created_at from the rows, SQLite would
// otherwise walk every job of the tenant by the primary key.
var sqlCountActive = `SELECT count(*) FROM jobs INDEXED BY jobs_type_status WHERE tenant = ? AND type = ? AND status IN (` +
	marks(len(userport.ActiveJobStatuses)) + `)`

// activeArgs are the arguments of sqlCountActive: the tenant, the type and
// the active statuses.
func activeArgs(tenant string, typ userport.JobType) []any {
	args := []any{tenant, string(typ)}
	for _, s := range userport.ActiveJobStatuses {
		args = append(args, string(s))
	}
	return args
}

// marks is n comma-separated placeholders.
func marks(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// jobArgs are j's values in userport.JobColumns order, times in Unix
// milliseconds.
func jobArgs(j *userport.Job) ([]any, error) {
	return userport.JobArgs(j, func(t time.Time) any { return toMillis(t) })
}

// FindJob returns the job, or ENOTFOUND "inexistent_job".
func (db *DB) FindJob(ctx context.Context, tenant, id string) (_ *userport.Job, err error) {
	defer mapBusy(&err)
	j, err := findJob(ctx, db.read, tenant, id)
	if err != nil {
		return nil, fmt.Errorf("find job: %w", err)
	}
	return j, nil
}

// queryer is a *sql.DB or *sql.Tx.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// findJob reads one job through q.
func findJob(ctx context.Context, q queryer, tenant, id string) (*userport.Job, error) {
	return userport.ScanJob(row(q.QueryRowContext(ctx, `SELECT `+userport.JobColumns+` FROM jobs WHERE tenant = ? AND id = ?`, tenant, id).Scan))
}

// UpdateJob reads the job, lets fn change it and writes it back, in one
// transaction. An error from fn aborts the update and is returned as is. The
// job keeps its tenant and id whatever fn does; the job returned is the job
// stored (times in UTC milliseconds).
func (db *DB) UpdateJob(ctx context.Context, tenant, id string, fn func(j *userport.Job) error) (*userport.Job, error) {
	return db.UpdateJobThen(ctx, tenant, id, fn, nil)
}

// UpdateJobThen is UpdateJob that calls then (if not nil) with the *sql.Tx
// and the job once it is written, before the commit: an error from then
// aborts the update and is returned as is.
func (db *DB) UpdateJobThen(ctx context.Context, tenant, id string, fn func(j *userport.Job) error,
	then func(ctx context.Context, tx userport.Tx, j *userport.Job) error) (_ *userport.Job, err error) {
	defer mapBusy(&err)
	return db.updateJob(ctx, tenant, id, func(_ *sql.Tx, j *userport.Job) error { return fn(j) }, then)
}

// updateJob is UpdateJobThen whose fn also reads through the transaction.
func (db *DB) updateJob(ctx context.Context, tenant, id string, fn func(tx *sql.Tx, j *userport.Job) error,
	then func(ctx context.Context, tx userport.Tx, j *userport.Job) error) (*userport.Job, error) {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("update job: %w", err)
	}
	defer rollback(tx)
	j, err := findJob(ctx, tx, tenant, id)
	if err != nil {
		return nil, fmt.Errorf("update job: %w", err)
	}
	if err := fn(tx, j); err != nil {
		return nil, err
	}
	j.Tenant, j.ID = tenant, id
	normalizeTimes(j)
	if err := writeJob(ctx, tx, j); err != nil {
		return nil, fmt.Errorf("update job: %w", err)
	}
	if then != nil {
		if err := then(ctx, tx, j); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("update job: commit: %w", err)
	}
	return j, nil
}

// normalizeTimes makes j's times what the store keeps: UTC milliseconds.
func normalizeTimes(j *userport.Job) {
	for _, t := range []*time.Time{&j.CreatedAt, &j.StartedAt, &j.CompletedAt, &j.HeartbeatAt, &j.MarkAt} {
		*t = fromMillis(toMillis(*t))
	}
}

// writeJob replaces the stored job j in tx.
func writeJob(ctx context.Context, tx *sql.Tx, j *userport.Job) error {
	args, err := jobArgs(j)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `REPLACE INTO jobs (`+userport.JobColumns+`) VALUES (`+marks(userport.JobColumnCount)+`)`, args...)
	return err
}

// ListJobs returns the jobs that match f, oldest first (newest first with
// f.NewestFirst).
func (db *DB) ListJobs(ctx context.Context, f userport.JobFilter) (_ []*userport.Job, err error) {
	defer mapBusy(&err)
	query, args := listJobsQuery(f)
	rows, err := db.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	defer rows.Close()
	var jobs []*userport.Job
	for rows.Next() {
		j, err := userport.ScanJob(row(rows.Scan))
		if err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		jobs = append(jobs, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return jobs, nil
}

// listJobsQuery is the statement and arguments of ListJobs(f).
func listJobsQuery(f userport.JobFilter) (string, []any) {
	where, args := jobWhere(f)
	order := ` ORDER BY created_at, tenant, id`
	if f.NewestFirst {
		order = ` ORDER BY created_at DESC, tenant DESC, id DESC`
	}
	return `SELECT ` + userport.JobColumns + ` FROM jobs WHERE ` + where + order + ` LIMIT ? OFFSET ?`,
		append(args, limitArg(f.Limit), max(f.Offset, 0))
}

// CountJobs counts the jobs that match f, at most f.Limit when it is set.
func (db *DB) CountJobs(ctx context.Context, f userport.JobFilter) (_ int, err error) {
	defer mapBusy(&err)
	where, args := jobWhere(f)
	var n int
	err = db.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM jobs WHERE `+where+` LIMIT ?)`,
		append(args, limitArg(f.Limit))...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count jobs: %w", err)
	}
	return n, nil
}

// jobWhere is the condition and arguments that select the jobs f matches.
func jobWhere(f userport.JobFilter) (string, []any) {
	conds, args := []string{"1 = 1"}, []any{}
	if f.Tenant != "" {
		conds, args = append(conds, "tenant = ?"), append(args, f.Tenant)
	}
	if f.Type != "" {
		conds, args = append(conds, "type = ?"), append(args, string(f.Type))
	}
	if len(f.Statuses) > 0 {
		conds = append(conds, "status IN ("+marks(len(f.Statuses))+")")
		for _, s := range f.Statuses {
			args = append(args, string(s))
		}
	}
	if !f.CreatedBefore.IsZero() {
		conds, args = append(conds, "created_at < ?"), append(args, f.CreatedBefore.UnixMilli())
	}
	if !f.CreatedAfter.IsZero() {
		conds, args = append(conds, "created_at >= ?"), append(args, f.CreatedAfter.UnixMilli())
	}
	return strings.Join(conds, " AND "), args
}

// DeleteJob removes a job record (and, by trigger, its import records):
// ENOTFOUND if absent. The import's per-user errors go first, a few
// thousand per transaction: a job of an older version may have a million.
func (db *DB) DeleteJob(ctx context.Context, tenant, id string) (err error) {
	defer mapBusy(&err)
	if err := deleteImportErrors(ctx, db.db, tenant, id); err != nil {
		return fmt.Errorf("delete job: %w", err)
	}
	res, err := db.db.ExecContext(ctx, `DELETE FROM jobs WHERE tenant = ? AND id = ?`, tenant, id)
	if err != nil {
		return fmt.Errorf("delete job: %w", err)
	}
	return mustAffect(res, userport.ErrJobNotFound)
}

// errorsPerDelete is how many per-user errors one transaction of
// deleteImportErrors deletes: some tens of milliseconds of the writer.
const errorsPerDelete = 2000

// deleteImportErrors deletes a job's per-user errors, errorsPerDelete per
// transaction, so that other writers get the database in between.
func deleteImportErrors(ctx context.Context, db *sql.DB, tenant, id string) error {
	for {
		res, err := db.ExecContext(ctx, `DELETE FROM import_errors WHERE tenant = ? AND job_id = ? AND record IN
			(SELECT record FROM import_errors WHERE tenant = ? AND job_id = ? ORDER BY record LIMIT ?)`,
			tenant, id, tenant, id, errorsPerDelete)
		if err != nil {
			return fmt.Errorf("import errors: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n < errorsPerDelete {
			return err
		}
	}
}

// sqlJobCounts counts the jobs by type and status, reading only the
// jobs_type_status index.
const sqlJobCounts = `SELECT type, status, count(*) FROM jobs GROUP BY type, status`

// JobCounts counts the jobs of every tenant by type and status.
func (db *DB) JobCounts(ctx context.Context) (_ []userport.JobCount, err error) {
	defer mapBusy(&err)
	rows, err := db.db.QueryContext(ctx, sqlJobCounts)
	if err != nil {
		return nil, fmt.Errorf("count jobs by status: %w", err)
	}
	defer rows.Close()
	var out []userport.JobCount
	for rows.Next() {
		var c userport.JobCount
		if err := rows.Scan(&c.Type, &c.Status, &c.N); err != nil {
			return nil, fmt.Errorf("count jobs by status: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count jobs by status: %w", err)
	}
	return out, nil
}
