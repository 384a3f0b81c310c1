package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/userport/userport"
)

// CreateImportJob inserts the import job j and its empty cursor, and calls
// enqueue with the pgx.Tx, in one transaction, unless limit import jobs of the
// tenant are pending or processing. The count runs under the advisory lock of
// the tenant's import jobs (see StartJob), so the count and the insert are
// atomic across connections and processes.
func (db *DB) CreateImportJob(ctx context.Context, j *userport.Job, fileBytes int64, limit int,
	enqueue func(ctx context.Context, tx userport.Tx) error) error {
	args, err := jobArgs(j)
	if err != nil {
		return fmt.Errorf("create import job: %w", err)
	}
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		if err := checkActiveJobs(ctx, tx, j.Tenant, userport.JobUsersImport, limit); err != nil {
			return err
		}
		if err := insertJob(ctx, tx, args); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO import_state (tenant, job_id, file_bytes) VALUES ($1, $2, $3)`, j.Tenant, j.ID, fileBytes)
		if err != nil {
			return dbError(err)
		}
		return callEnqueue(ctx, tx, enqueue)
	})
	if err != nil {
		return fmt.Errorf("create import job: %w", err)
	}
	return nil
}

// checkActiveJobs fails with userport.TooManyJobs when limit (> 0) jobs of
// the tenant and type are active (userport.ActiveJobStatuses). It counts under the
// tenant's and type's advisory lock, so the count and the insert that
// follows in tx are atomic across connections.
func checkActiveJobs(ctx context.Context, tx pgx.Tx, tenant string, typ userport.JobType, limit int) error {
	if limit <= 0 {
		return nil
	}
	if err := lockJobs(ctx, tx, tenant, typ); err != nil {
		return dbError(err)
	}
	var n int
	err := tx.QueryRow(ctx, sqlCountActive, activeArgs(tenant, typ)...).Scan(&n)
	if err != nil {
		return fmt.Errorf("count: %w", dbError(err))
	}
	return userport.CheckNewJob(typ, n, limit)
}

// FindImportState returns the committed progress of an import job.
func (db *DB) FindImportState(ctx context.Context, tenant, jobID string) (*userport.ImportState, error) {
	var s *userport.ImportState
	err := db.query(ctx, func(ctx context.Context, q querier) error {
		var err error
		s, err = findImportState(ctx, q, tenant, jobID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find import state: %w", err)
	}
	return s, nil
}

// findImportState reads an import job's state through q.
func findImportState(ctx context.Context, q querier, tenant, jobID string) (*userport.ImportState, error) {
	return userport.ScanImportState(row{q.QueryRow(ctx, `SELECT file_bytes, records, bytes_read, inserted, updated, failed
		FROM import_state WHERE tenant = $1 AND job_id = $2`, tenant, jobID)}, tenant, jobID)
}

// WriteImportBatch writes one batch of an import job in one transaction, by
// userport.WriteImportBatch's rules over the statements of importTx. A
// second worker of the job waits for the cursor row's lock, then fails
// before writing anything.
func (db *DB) WriteImportBatch(ctx context.Context, b *userport.ImportBatch) (*userport.ImportState, error) {
	var s *userport.ImportState
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		s, err = userport.WriteImportBatch(ctx, importTx{tx}, b)
		return err
	})
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("write import batch: %w", ctx.Err())
	} else if err != nil {
		return nil, fmt.Errorf("write import batch: %w", dbError(err))
	}
	return s, nil
}

// ListImportErrors returns a page of an import job's per-user errors.
func (db *DB) ListImportErrors(ctx context.Context, tenant, jobID string, after int64, limit int) ([]*userport.ImportError, error) {
	var list []*userport.ImportError
	err := db.query(ctx, func(ctx context.Context, q querier) error {
		rows, err := q.Query(ctx, `SELECT record, doc FROM import_errors
			WHERE tenant = $1 AND job_id = $2 AND record > $3 ORDER BY record LIMIT $4`, tenant, jobID, after, limitArg(limit))
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*userport.ImportError, error) {
			return userport.ScanImportError(row{r})
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list import errors: %w", err)
	}
	return list, nil
}

// FindCustomPasswordHash returns the custom_password_hash kept for a user.
func (db *DB) FindCustomPasswordHash(ctx context.Context, tenant, userID string) (json.RawMessage, error) {
	var h json.RawMessage
	err := db.query(ctx, func(ctx context.Context, q querier) error {
		var err error
		h, err = userport.ScanCustomPasswordHash(row{q.QueryRow(ctx, sqlFindCustomPasswordHash, tenant, userID)})
		return err
	})
	if err != nil && userport.ErrorCode(err) != userport.ENOTFOUND {
		return nil, fmt.Errorf("find custom password hash: %w", err)
	}
	return h, err
}

// importTx is userport.ImportTx on one PostgreSQL transaction.
type importTx struct{ tx pgx.Tx }

// AdvanceImportCursor moves the cursor if it is at b.From.
func (t importTx) AdvanceImportCursor(ctx context.Context, b *userport.ImportBatch) (bool, error) {
	tag, err := t.tx.Exec(ctx, `UPDATE import_state SET records = $1, bytes_read = $2
		WHERE tenant = $3 AND job_id = $4 AND records = $5`, b.To, b.BytesRead, b.Tenant, b.JobID, b.From)
	return tag.RowsAffected() == 1, err
}

// FindImportState reads the job's state in the transaction.
func (t importTx) FindImportState(ctx context.Context, tenant, jobID string) (*userport.ImportState, error) {
	return findImportState(ctx, t.tx, tenant, jobID)
}

// importRowQueries are the lookups of FindImportRows by key.
var importRowQueries = map[string]string{
	userport.ImportKeyUserID:   sqlImportRowsByID,
	userport.ImportKeyEmail:    sqlImportRowsByEmail,
	userport.ImportKeyUsername: sqlImportRowsByUsername,
}

// FindImportRows returns the users holding any of values of key.
func (t importTx) FindImportRows(ctx context.Context, b *userport.ImportBatch, key string, values []string) ([]userport.ImportRow, error) {
	args := []any{b.Tenant, b.ConnectionID, values}
	if key == userport.ImportKeyUserID {
		args = []any{b.Tenant, values}
	}
	rows, err := t.tx.Query(ctx, importRowQueries[key], args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (userport.ImportRow, error) {
		return userport.ScanImportRow(row{r})
	})
}

// InsertImportUsers inserts the users in one statement; those a key of
// another user refuses are skipped without aborting the transaction.
func (t importTx) InsertImportUsers(ctx context.Context, b *userport.ImportBatch, users []userport.ImportWrite) ([]int, error) {
	cols := make([][]string, 9)
	times := make([][]*time.Time, 2)
	for _, w := range users {
		x := w.User
		for i, v := range []string{b.Tenant, x.UserID, x.ConnectionID, x.Email, x.Username, x.PasswordHash,
			string(x.Doc), string(w.CustomPasswordHash), b.JobID} {
			cols[i] = append(cols[i], v)
		}
		times[0], times[1] = append(times[0], toTime(x.CreatedAt)), append(times[1], toTime(x.UpdatedAt))
	}
	rows, err := t.tx.Query(ctx, sqlImportInsert, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5],
		times[0], times[1], cols[6], cols[7], cols[8])
	if err != nil {
		return nil, err
	}
	keys, err := pgx.CollectRows(rows, pgx.RowToStructByPos[userKeys])
	if err != nil {
		return nil, err
	}
	return notReturned(users, keys), nil
}

// userKeys are the unique keys of a user.
type userKeys struct{ UserID, Email, Username string }

// notReturned returns the positions of the users whose keys are not in
// keys. Users with the same keys (the same user_id, so one at most went in)
// take them in order: the first was inserted, if any.
func notReturned(users []userport.ImportWrite, keys []userKeys) []int {
	if len(keys) == len(users) {
		return nil
	}
	in := make(map[userKeys]int, len(keys))
	for _, k := range keys {
		in[k]++
	}
	var refused []int
	for i, w := range users {
		k := userKeys{w.User.UserID, w.User.Email, w.User.Username}
		if in[k] > 0 {
			in[k]--
		} else {
			refused = append(refused, i)
		}
	}
	return refused
}

// UpdateImportUsers updates the users in one statement, in a savepoint;
// when a key refuses it, in order, each in a savepoint: a unique violation
// rolls back to it and the batch goes on.
func (t importTx) UpdateImportUsers(ctx context.Context, b *userport.ImportBatch, users []userport.ImportWrite) ([]int, error) {
	if ok, err := t.updateAll(ctx, b, users); err != nil || ok {
		return nil, err
	}
	var refused []int
	for i, w := range users {
		ok, err := t.update(ctx, b, w)
		if err != nil {
			return nil, fmt.Errorf("update user %s: %w", w.User.UserID, err)
		} else if !ok {
			refused = append(refused, i)
		}
	}
	return refused, nil
}

// updateAll updates every user in one statement, in a savepoint; false
// when a key refused it (nothing changed then).
func (t importTx) updateAll(ctx context.Context, b *userport.ImportBatch, users []userport.ImportWrite) (bool, error) {
	if len(users) == 1 {
		return false, nil
	}
	cols := make([][]string, 7)
	times := make([][]*time.Time, 2)
	for _, w := range users {
		x := w.User
		for i, v := range []string{x.UserID, x.ConnectionID, x.Email, x.Username, x.PasswordHash, string(x.Doc), string(w.CustomPasswordHash)} {
			cols[i] = append(cols[i], v)
		}
		times[0], times[1] = append(times[0], toTime(x.CreatedAt)), append(times[1], toTime(x.UpdatedAt))
	}
	sp, err := t.tx.Begin(ctx)
	if err != nil {
		return false, err
	}
	_, err = sp.Exec(ctx, sqlImportUpdateAll, b.Tenant, cols[0], cols[1], cols[2], cols[3], cols[4],
		times[0], times[1], cols[5], cols[6], b.JobID)
	if isConflict(err) {
		return false, sp.Rollback(ctx)
	} else if err != nil {
		return false, err
	}
	return true, sp.Commit(ctx)
}

// update updates one user in a savepoint; false when a key refused it.
func (t importTx) update(ctx context.Context, b *userport.ImportBatch, w userport.ImportWrite) (bool, error) {
	sp, err := t.tx.Begin(ctx)
	if err != nil {
		return false, err
	}
	x := w.User
	_, err = sp.Exec(ctx, sqlImportUpdate, b.Tenant, x.UserID, x.ConnectionID, x.Email, x.Username,
		x.PasswordHash, toTime(x.CreatedAt), toTime(x.UpdatedAt), string(x.Doc), string(w.CustomPasswordHash), b.JobID)
	if isConflict(err) {
		return false, sp.Rollback(ctx)
	} else if err != nil {
		return false, err
	}
	return true, sp.Commit(ctx)
}

// InsertImportErrors keeps the per-user errors in one COPY.
func (t importTx) InsertImportErrors(ctx context.Context, b *userport.ImportBatch, errs []userport.ImportError) error {
	rows := make([][]any, len(errs))
	for i, e := range errs {
		doc, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("error of record %d: %w", e.Record, err)
		}
		rows[i] = []any{b.Tenant, b.JobID, e.Record, string(doc)}
	}
	_, err := t.tx.CopyFrom(ctx, pgx.Identifier{"import_errors"}, []string{"tenant", "job_id", "record", "doc"}, pgx.CopyFromRows(rows))
	return err
}

// AddImportCounts adds to the job's counters.
func (t importTx) AddImportCounts(ctx context.Context, b *userport.ImportBatch, c userport.ImportSummary) error {
	_, err := t.tx.Exec(ctx, `UPDATE import_state SET inserted = inserted + $1, updated = updated + $2,
		failed = failed + $3 WHERE tenant = $4 AND job_id = $5`, c.Inserted, c.Updated, c.Failed, b.Tenant, b.JobID)
	return err
}

// WriteImportProgress writes the job's progress if it is processing.
func (t importTx) WriteImportProgress(ctx context.Context, b *userport.ImportBatch) error {
	_, err := t.tx.Exec(ctx, `UPDATE jobs SET percentage_done = $1, time_left_seconds = $2
		WHERE tenant = $3 AND id = $4 AND status = 'processing'`, b.PercentageDone, b.TimeLeftSeconds, b.Tenant, b.JobID)
	return err
}
