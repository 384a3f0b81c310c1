package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/userport/userport"
)

// CreateImportJob inserts the import job j and its empty cursor, and calls
// enqueue with the *sql.Tx, in one transaction, unless limit import jobs of
// the tenant are pending or processing. The transaction begins IMMEDIATE, so
// the count and the insert are atomic across connections and processes.
func (db *DB) CreateImportJob(ctx context.Context, j *userport.Job, fileBytes int64, limit int,
	enqueue func(ctx context.Context, tx userport.Tx) error) (err error) {
	defer mapBusy(&err)
	args, err := jobArgs(j)
	if err != nil {
		return fmt.Errorf("create import job: %w", err)
	}
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create import job: %w", err)
	}
	defer rollback(tx)
	if err := checkActiveJobs(ctx, tx, j.Tenant, userport.JobUsersImport, limit); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, sqlInsertJob, args...)
	if isConflict(err) {
		return userport.ErrJobConflict()
	} else if err != nil {
		return fmt.Errorf("create import job: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO import_state (tenant, job_id, file_bytes) VALUES (?, ?, ?)`, j.Tenant, j.ID, fileBytes)
	if err != nil {
		return fmt.Errorf("create import job: %w", err)
	}
	if enqueue != nil {
		if err := enqueue(ctx, tx); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create import job: commit: %w", err)
	}
	return nil
}

// FindImportState returns the committed progress of an import job.
func (db *DB) FindImportState(ctx context.Context, tenant, jobID string) (_ *userport.ImportState, err error) {
	defer mapBusy(&err)
	s, err := findImportState(ctx, db.db, tenant, jobID)
	if err != nil {
		return nil, fmt.Errorf("find import state: %w", err)
	}
	return s, nil
}

// findImportState reads an import job's state through q.
func findImportState(ctx context.Context, q queryer, tenant, jobID string) (*userport.ImportState, error) {
	return userport.ScanImportState(row(q.QueryRowContext(ctx, `SELECT file_bytes, records, bytes_read, inserted, updated, failed
		FROM import_state WHERE tenant = ? AND job_id = ?`, tenant, jobID).Scan), tenant, jobID)
}

// WriteImportBatch writes one batch of an import job in one transaction, by
// userport.WriteImportBatch's rules over the statements of importTx: the
// users it writes share the transaction's change mark.
func (db *DB) WriteImportBatch(ctx context.Context, b *userport.ImportBatch) (*userport.ImportState, error) {
	return db.WriteImportBatches(ctx, b, func(context.Context, func() bool) *userport.ImportBatch { return nil })
}

// WriteImportBatches writes b, and then the batches next returns, in one
// transaction, each by userport.WriteImportBatch's rules as WriteImportBatch
// writes one, and commits when next returns nil or, after a batch, when
// another writer waits for the database's writer (waitSignal): an import
// holds it longer while nobody else wants it, and writes fewer pages per
// user. next gets a function that reports such a wait, to stop waiting for
// a batch. It returns the state after the last batch; on an error nothing
// is written.
func (db *DB) WriteImportBatches(ctx context.Context, b *userport.ImportBatch,
	next func(ctx context.Context, waiting func() bool) *userport.ImportBatch) (_ *userport.ImportState, err error) {
	defer mapBusy(&err)
	var s *userport.ImportState
	err = db.inMarkedTx(ctx, func(tx *markedTx) error {
		start := time.Now()
		waiting := func() bool { return db.wait.since(start) }
		itx := &importTx{tx: tx, rowCtx: context.WithoutCancel(ctx)}
		for ; b != nil; b = next(ctx, waiting) {
			var err error
			if s, err = userport.WriteImportBatch(ctx, itx, b); err != nil {
				return err
			}
			if waiting() {
				return nil
			}
		}
		return nil
	})
	if err != nil && ctx.Err() != nil {
		// database/sql rolls the transaction back (and closes its statements)
		// when ctx ends: the cause is ctx's, whatever the statement said.
		return nil, fmt.Errorf("write import batch: %w", ctx.Err())
	} else if err != nil {
		return nil, fmt.Errorf("write import batch: %w", err)
	}
	return s, nil
}

// ListImportErrors returns a page of an import job's per-user errors.
func (db *DB) ListImportErrors(ctx context.Context, tenant, jobID string, after int64, limit int) (_ []*userport.ImportError, err error) {
	defer mapBusy(&err)
	rows, err := db.db.QueryContext(ctx, `SELECT record, doc FROM import_errors
		WHERE tenant = ? AND job_id = ? AND record > ? ORDER BY record LIMIT ?`, tenant, jobID, after, limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("list import errors: %w", err)
	}
	defer rows.Close()
	var list []*userport.ImportError
	for rows.Next() {
		e, err := userport.ScanImportError(row(rows.Scan))
		if err != nil {
			return nil, fmt.Errorf("list import errors: %w", err)
		}
		list = append(list, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list import errors: %w", err)
	}
	return list, nil
}

// FindCustomPasswordHash returns the custom_password_hash kept for a user.
func (db *DB) FindCustomPasswordHash(ctx context.Context, tenant, userID string) (_ json.RawMessage, err error) {
	defer mapBusy(&err)
	h, err := userport.ScanCustomPasswordHash(row(db.db.QueryRowContext(ctx, qCustomPasswordHash, tenant, userID).Scan))
	if err != nil && userport.ErrorCode(err) != userport.ENOTFOUND {
		return nil, fmt.Errorf("find custom password hash: %w", err)
	}
	return h, err
}

// importTx is userport.ImportTx on one SQLite transaction. The statements
// on users run without cancellation (rowCtx) and the loops check ctx
// between rows: the transaction is rolled back as a whole when ctx ends.
type importTx struct {
	tx     *markedTx
	rowCtx context.Context
}

// AdvanceImportCursor moves the cursor if it is at b.From.
func (t *importTx) AdvanceImportCursor(ctx context.Context, b *userport.ImportBatch) (bool, error) {
	res, err := t.tx.ExecContext(ctx, `UPDATE import_state SET records = ?, bytes_read = ?
		WHERE tenant = ? AND job_id = ? AND records = ?`, b.To, b.BytesRead, b.Tenant, b.JobID, b.From)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// FindImportState reads the job's state in the transaction.
func (t *importTx) FindImportState(ctx context.Context, tenant, jobID string) (*userport.ImportState, error) {
	return findImportState(ctx, t.tx.Tx, tenant, jobID)
}

// importRowQueries are the lookups of FindImportRows by key.
var importRowQueries = map[string]string{
	userport.ImportKeyUserID:   qImportRowsByID,
	userport.ImportKeyEmail:    qImportRowsByEmail,
	userport.ImportKeyUsername: qImportRowsByUsername,
}

// FindImportRows returns the users holding any of values of key.
func (t *importTx) FindImportRows(ctx context.Context, b *userport.ImportBatch, key string, values []string) ([]userport.ImportRow, error) {
	js, err := json.Marshal(values)
	if err != nil {
		return nil, err
	}
	args := []any{b.Tenant, b.ConnectionID, string(js)}
	if key == userport.ImportKeyUserID {
		args = []any{b.Tenant, string(js)}
	}
	rows, err := t.tx.QueryContext(t.rowCtx, importRowQueries[key], args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []userport.ImportRow
	for rows.Next() {
		r, err := userport.ScanImportRow(row(rows.Scan))
		if err != nil {
			return nil, err
		}
		list = append(list, r)
	}
	return list, rows.Err()
}

// InsertImportUsers inserts the users one prepared statement at a time.
func (t *importTx) InsertImportUsers(ctx context.Context, b *userport.ImportBatch, users []userport.ImportWrite) ([]int, error) {
	mark, err := t.tx.mark(ctx, b.Tenant)
	if err != nil {
		return nil, err
	}
	return t.each(ctx, qImportInsert, users, func(w userport.ImportWrite) []any {
		x := w.User
		return []any{b.Tenant, x.UserID, x.ConnectionID, x.Email, x.Username, x.PasswordHash,
			toMillis(x.CreatedAt), toMillis(x.UpdatedAt), string(x.Doc), string(w.CustomPasswordHash), b.JobID, mark}
	})
}

// UpdateImportUsers updates the users in order, one prepared statement at a time.
func (t *importTx) UpdateImportUsers(ctx context.Context, b *userport.ImportBatch, users []userport.ImportWrite) ([]int, error) {
	mark, err := t.tx.mark(ctx, b.Tenant)
	if err != nil {
		return nil, err
	}
	return t.each(ctx, qImportUpdate, users, func(w userport.ImportWrite) []any {
		x, custom := w.User, string(w.CustomPasswordHash)
		return []any{x.ConnectionID, x.Email, x.Username, x.PasswordHash, toMillis(x.CreatedAt), toMillis(x.UpdatedAt),
			string(x.Doc), custom, custom, b.JobID, mark, b.Tenant, x.UserID}
	})
}

// each runs query, prepared, with the arguments of each user, and returns
// the positions of those that violated a unique key.
func (t *importTx) each(ctx context.Context, query string, users []userport.ImportWrite, args func(userport.ImportWrite) []any) ([]int, error) {
	stmt, err := t.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	defer stmt.Close()
	var refused []int
	for i, w := range users {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		_, err := stmt.ExecContext(t.rowCtx, args(w)...)
		if isConflict(err) {
			refused = append(refused, i)
		} else if err != nil {
			return nil, fmt.Errorf("user %s: %w", w.User.UserID, err)
		}
	}
	return refused, nil
}

// InsertImportErrors keeps the per-user errors.
func (t *importTx) InsertImportErrors(ctx context.Context, b *userport.ImportBatch, errs []userport.ImportError) error {
	stmt, err := t.tx.PrepareContext(ctx, `INSERT INTO import_errors (tenant, job_id, record, doc) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, e := range errs {
		doc, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("error of record %d: %w", e.Record, err)
		}
		if _, err := stmt.ExecContext(ctx, b.Tenant, b.JobID, e.Record, string(doc)); err != nil {
			return fmt.Errorf("error of record %d: %w", e.Record, err)
		}
	}
	return nil
}

// AddImportCounts adds to the job's counters.
func (t *importTx) AddImportCounts(ctx context.Context, b *userport.ImportBatch, c userport.ImportSummary) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE import_state SET inserted = inserted + ?, updated = updated + ?,
		failed = failed + ? WHERE tenant = ? AND job_id = ?`, c.Inserted, c.Updated, c.Failed, b.Tenant, b.JobID)
	return err
}

// WriteImportProgress writes the job's progress if it is processing.
func (t *importTx) WriteImportProgress(ctx context.Context, b *userport.ImportBatch) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE jobs SET percentage_done = ?, time_left_seconds = ?
		WHERE tenant = ? AND id = ? AND status = 'processing'`, b.PercentageDone, b.TimeLeftSeconds, b.Tenant, b.JobID)
	return err
}
