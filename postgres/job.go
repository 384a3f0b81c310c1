package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/userport/userport"
)

// jobPlaceholders are $1, $2, ... for every userport.JobColumns.
var jobPlaceholders = placeholders(userport.JobColumnCount)

// placeholders is $1, ..., $n.
func placeholders(n int) string {
	p := make([]string, n)
	for i := range p {
		p[i] = "$" + strconv.Itoa(i+1)
	}
	return strings.Join(p, ", ")
}

var sqlInsertJob = `INSERT INTO jobs (` + userport.JobColumns + `) VALUES (` + jobPlaceholders + `)`

// CreateJob inserts j and calls enqueue with the pgx.Tx, in one transaction:
// River's InsertTx (riverpgxv5) writes the queued work in it. If enqueue
// fails, nothing is written and its error is returned.
func (db *DB) CreateJob(ctx context.Context, j *userport.Job, limit int, enqueue func(ctx context.Context, tx userport.Tx) error) error {
	args, err := jobArgs(j)
	if err != nil {
		return fmt.Errorf("create job: %w", err)
	}
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		if err := checkActiveJobs(ctx, tx, j.Tenant, j.Type, limit); err != nil {
			return err
		}
		if err := insertJob(ctx, tx, args); err != nil {
			return err
		}
		return callEnqueue(ctx, tx, enqueue)
	})
	if err != nil {
		return fmt.Errorf("create job: %w", err)
	}
	return nil
}

// insertJob inserts the job whose jobArgs are args: ECONFLICT when its id is
// taken.
func insertJob(ctx context.Context, tx pgx.Tx, args []any) error {
	_, err := tx.Exec(ctx, sqlInsertJob, args...)
	if isConflict(err) {
		return userport.ErrJobConflict()
	}
	return dbError(err)
}

// callEnqueue calls enqueue, if any, with tx.
func callEnqueue(ctx context.Context, tx pgx.Tx, enqueue func(ctx context.Context, tx userport.Tx) error) error {
	if enqueue == nil {
		return nil
	}
	return enqueue(ctx, tx)
}

// jobArgs are j's values in userport.JobColumns order, times as nullable
// timestamptz.
func jobArgs(j *userport.Job) ([]any, error) {
	return userport.JobArgs(j, func(t time.Time) any { return toTime(t) })
}

// FindJob returns the job, or ENOTFOUND "inexistent_job".
func (db *DB) FindJob(ctx context.Context, tenant, id string) (*userport.Job, error) {
	var j *userport.Job
	err := db.query(ctx, func(ctx context.Context, q querier) error {
		var err error
		j, err = findJob(ctx, q, tenant, id, "")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find job: %w", err)
	}
	return j, nil
}

// findJob reads one job through q; lock is "" or a locking clause.
func findJob(ctx context.Context, q querier, tenant, id, lock string) (*userport.Job, error) {
	j, err := userport.ScanJob(row{q.QueryRow(ctx, `SELECT `+userport.JobColumns+` FROM jobs WHERE tenant = $1 AND id = $2 `+lock, tenant, id)})
	return j, dbError(err)
}

// UpdateJob reads the job, locking its row, lets fn change it and writes it
// back, in one transaction: concurrent updates of a job run one after
// another, each seeing the one before. An error from fn aborts the update
// and is returned as is. The job keeps its tenant and id whatever fn does;
// the job returned is the job stored (times in UTC milliseconds).
func (db *DB) UpdateJob(ctx context.Context, tenant, id string, fn func(j *userport.Job) error) (*userport.Job, error) {
	return db.UpdateJobThen(ctx, tenant, id, fn, nil)
}

// UpdateJobThen is UpdateJob that calls then (if not nil) with the pgx.Tx
// and the job once it is written, before the commit: an error from then
// aborts the update and is returned as is.
func (db *DB) UpdateJobThen(ctx context.Context, tenant, id string, fn func(j *userport.Job) error,
	then func(ctx context.Context, tx userport.Tx, j *userport.Job) error) (*userport.Job, error) {
	var j *userport.Job
	var fnErr error
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		j, err = updateJob(ctx, tx, tenant, id, func(j *userport.Job) error {
			fnErr = fn(j)
			return fnErr
		})
		if err != nil || then == nil {
			return err
		}
		fnErr = then(ctx, tx, j)
		return fnErr
	})
	if fnErr != nil {
		return nil, fnErr
	} else if err != nil {
		return nil, fmt.Errorf("update job: %w", dbError(err))
	}
	return j, nil
}

// updateJob reads the job in tx, locking its row, lets fn change it and
// writes it back.
func updateJob(ctx context.Context, tx pgx.Tx, tenant, id string, fn func(j *userport.Job) error) (*userport.Job, error) {
	j, err := findJob(ctx, tx, tenant, id, "FOR UPDATE")
	if err != nil {
		return nil, err
	}
	if err := fn(j); err != nil {
		return nil, err
	}
	j.Tenant, j.ID = tenant, id
	normalizeTimes(j)
	args, err := jobArgs(j)
	if err != nil {
		return nil, err
	}
	_, err = tx.Exec(ctx, `UPDATE jobs SET (`+userport.JobColumns+`) = (`+jobPlaceholders+`) WHERE tenant = $1 AND id = $2`, args...)
	return j, err
}

// normalizeTimes makes j's times what the store keeps: UTC milliseconds.
func normalizeTimes(j *userport.Job) {
	for _, t := range []*time.Time{&j.CreatedAt, &j.StartedAt, &j.CompletedAt, &j.HeartbeatAt, &j.MarkAt} {
		*t = fromTime(toTime(*t))
	}
}

// StartJob moves a pending job to processing when fewer than limit jobs of its
// tenant and type are processing or pending and older. In one transaction it
// reads the job, counts the jobs ahead of it and lets userport.Job.Start
// decide; it returns the job unchanged when Start refused. The count and the
// change run under a transaction-scoped advisory lock of the tenant and type,
// which StartJob, CreateJob and CreateImportJob take on every database
// connection: two workers that start jobs of one tenant at once count one
// after the other.
func (db *DB) StartJob(ctx context.Context, tenant, id string, limit int, now time.Time) (*userport.Job, error) {
	var j, read *userport.Job
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var typ string
		err := tx.QueryRow(ctx, `SELECT type FROM jobs WHERE tenant = $1 AND id = $2`, tenant, id).Scan(&typ)
		if errors.Is(err, pgx.ErrNoRows) {
			return userport.ErrJobNotFound()
		} else if err != nil {
			return err
		}
		if err := lockJobs(ctx, tx, tenant, userport.JobType(typ)); err != nil {
			return err
		}
		j, err = updateJob(ctx, tx, tenant, id, func(j *userport.Job) error {
			read = j
			var ahead int
			if err := tx.QueryRow(ctx, sqlCountAhead, aheadArgs(j)...).Scan(&ahead); err != nil {
				return fmt.Errorf("count jobs ahead: %w", err)
			}
			return j.Start(now, ahead, limit)
		})
		return err
	})
	if userport.StartRefused(err) {
		return read, nil
	} else if err != nil {
		return nil, fmt.Errorf("start job: %w", dbError(err))
	}
	return j, nil
}

// sqlCountActive counts the active jobs of a tenant and type (activeArgs).
const sqlCountActive = `SELECT count(*) FROM jobs WHERE tenant = $1 AND type = $2 AND status = ANY($3)`

// activeArgs are the arguments of sqlCountActive: the tenant, the type and
// the active statuses (userport.ActiveJobStatuses).
func activeArgs(tenant string, typ userport.JobType) []any {
	statuses := make([]string, len(userport.ActiveJobStatuses))
	for i, s := range userport.ActiveJobStatuses {
		statuses[i] = string(s)
	}
	return []any{tenant, string(typ), statuses}
}

// sqlCountAhead counts the active jobs that go before a job (aheadArgs):
// of its tenant and type, processing or created before it (then by id).
const sqlCountAhead = sqlCountActive + ` AND (status = $4 OR (created_at, id) < ($5, $6))`

// aheadArgs are the arguments of sqlCountAhead for j.
func aheadArgs(j *userport.Job) []any {
	return append(activeArgs(j.Tenant, j.Type), string(userport.JobProcessing), toTime(j.CreatedAt), j.ID)
}

// lockJobs takes the transaction-scoped advisory lock of a tenant's jobs of
// one type, under which their per-tenant limits are counted.
func lockJobs(ctx context.Context, tx pgx.Tx, tenant string, typ userport.JobType) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "userport jobs "+tenant+" "+string(typ))
	return err
}

// ListJobs returns the jobs that match f, oldest first (newest first with
// f.NewestFirst).
func (db *DB) ListJobs(ctx context.Context, f userport.JobFilter) ([]*userport.Job, error) {
	query, args := listJobsQuery(f)
	var jobs []*userport.Job
	err := db.query(ctx, func(ctx context.Context, q querier) error {
		rows, err := q.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		jobs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*userport.Job, error) { return userport.ScanJob(row{r}) })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return jobs, nil
}

// listJobsQuery is the statement of ListJobs and its arguments
// (TestJobListPlan explains it).
func listJobsQuery(f userport.JobFilter) (string, []any) {
	where, args := jobWhere(f)
	args = append(args, limitArg(f.Limit), max(f.Offset, 0))
	order := ` ORDER BY created_at, tenant, id`
	if f.NewestFirst {
		order = ` ORDER BY created_at DESC, tenant DESC, id DESC`
	}
	return `SELECT ` + userport.JobColumns + ` FROM jobs WHERE ` + where + order +
		fmt.Sprintf(` LIMIT $%d OFFSET $%d`, len(args)-1, len(args)), args
}

// CountJobs counts the jobs that match f, at most f.Limit when it is set.
func (db *DB) CountJobs(ctx context.Context, f userport.JobFilter) (int, error) {
	query, args := countJobsQuery(f)
	var n int
	err := db.query(ctx, func(ctx context.Context, q querier) error {
		return q.QueryRow(ctx, query, args...).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("count jobs: %w", err)
	}
	return n, nil
}

// countJobsQuery is the statement of CountJobs and its arguments.
func countJobsQuery(f userport.JobFilter) (string, []any) {
	where, args := jobWhere(f)
	args = append(args, limitArg(f.Limit))
	return `SELECT count(*) FROM (SELECT 1 FROM jobs WHERE ` + where +
		fmt.Sprintf(` LIMIT $%d) AS j`, len(args)), args
}

// jobWhere is the condition and arguments that select the jobs f matches.
func jobWhere(f userport.JobFilter) (string, []any) {
	conds, args := []string{"true"}, []any{}
	add := func(cond string, arg any) {
		args = append(args, arg)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	if f.Tenant != "" {
		add("tenant = $%d", f.Tenant)
	}
	if f.Type != "" {
		add("type = $%d", string(f.Type))
	}
	if len(f.Statuses) > 0 {
		statuses := make([]string, len(f.Statuses))
		for i, s := range f.Statuses {
			statuses[i] = string(s)
		}
		add("status = ANY($%d)", statuses)
	}
	if !f.CreatedBefore.IsZero() {
		add("created_at < $%d", toTime(f.CreatedBefore))
	}
	if !f.CreatedAfter.IsZero() {
		add("created_at >= $%d", toTime(f.CreatedAfter))
	}
	return strings.Join(conds, " AND "), args
}

// DeleteJob removes a job record, and an import's cursor and errors with it:
// ENOTFOUND if absent.
func (db *DB) DeleteJob(ctx context.Context, tenant, id string) error {
	tag, err := db.exec(ctx, `DELETE FROM jobs WHERE tenant = $1 AND id = $2`, tenant, id)
	if err != nil {
		return fmt.Errorf("delete job: %w", err)
	}
	return mustAffect(tag, userport.ErrJobNotFound)
}

// sqlJobCounts counts the jobs by type and status, reading only the
// jobs_type_status index.
const sqlJobCounts = `SELECT type, status, count(*) FROM jobs GROUP BY type, status`

// JobCounts counts the jobs of every tenant by type and status.
func (db *DB) JobCounts(ctx context.Context) ([]userport.JobCount, error) {
	var out []userport.JobCount
	err := db.query(ctx, func(ctx context.Context, q querier) error {
		rows, err := q.Query(ctx, sqlJobCounts)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (userport.JobCount, error) {
			var c userport.JobCount
			err := row.Scan(&c.Type, &c.Status, &c.N)
			return c, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("count jobs by status: %w", err)
	}
	return out, nil
}
