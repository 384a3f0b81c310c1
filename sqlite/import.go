package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

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
	_, err = tx.ExecContext(ctx, `INSERT INTO jobs (`+jobColumns+`) VALUES (`+jobPlaceholders+`)`, args...)
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
	s := userport.ImportState{Tenant: tenant, JobID: jobID}
	err := q.QueryRowContext(ctx, `SELECT file_bytes, records, bytes_read, inserted, updated, failed
		FROM import_state WHERE tenant = ? AND job_id = ?`, tenant, jobID).
		Scan(&s.FileBytes, &s.Records, &s.BytesRead, &s.Summary.Inserted, &s.Summary.Updated, &s.Summary.Failed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, userport.ErrJobNotFound()
	} else if err != nil {
		return nil, err
	}
	s.Summary.Total = s.Records
	return &s, nil
}

// WriteImportBatch writes one batch of an import job in one transaction: the
// cursor moves first (so a duplicate worker fails before writing anything),
// then the users, the errors, the counters and the job's progress.
func (db *DB) WriteImportBatch(ctx context.Context, b *userport.ImportBatch) (_ *userport.ImportState, err error) {
	defer mapBusy(&err)
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("write import batch: %w", err)
	}
	defer rollback(tx)
	if err := moveCursor(ctx, tx, b); err != nil {
		return nil, err
	}
	counts, failed, err := writeImportUsers(ctx, tx, b)
	if err != nil && ctx.Err() != nil {
		// database/sql rolls the transaction back (and closes its statements)
		// when ctx ends: the cause is ctx's, whatever the statement said.
		return nil, fmt.Errorf("write import batch: %w", ctx.Err())
	} else if err != nil {
		return nil, fmt.Errorf("write import batch: %w", err)
	}
	if err := finishBatch(ctx, tx, b, counts, failed); err != nil {
		return nil, fmt.Errorf("write import batch: %w", err)
	}
	s, err := findImportState(ctx, tx, b.Tenant, b.JobID)
	if err != nil {
		return nil, fmt.Errorf("write import batch: %w", err)
	}
	if err := tx.Commit(); err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("write import batch: commit: %w", ctx.Err())
	} else if err != nil {
		return nil, fmt.Errorf("write import batch: commit: %w", err)
	}
	return s, nil
}

// moveCursor advances the cursor from b.From to b.To: ECONFLICT when it is
// not at b.From, ENOTFOUND when the job has no import state.
func moveCursor(ctx context.Context, tx *sql.Tx, b *userport.ImportBatch) error {
	if b.To < b.From {
		return fmt.Errorf("write import batch: cursor %d before %d", b.To, b.From)
	}
	res, err := tx.ExecContext(ctx, `UPDATE import_state SET records = ?, bytes_read = ?
		WHERE tenant = ? AND job_id = ? AND records = ?`, b.To, b.BytesRead, b.Tenant, b.JobID, b.From)
	if err != nil {
		return fmt.Errorf("write import batch: cursor: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	if _, err := findImportState(ctx, tx, b.Tenant, b.JobID); err != nil {
		return fmt.Errorf("write import batch: %w", err)
	}
	return userport.Errorf(userport.ECONFLICT, "", "The import job's cursor is not at record %d: another worker runs it.", b.From)
}

// finishBatch keeps the batch's errors, adds its counts and writes the job's
// progress if the job is processing.
func finishBatch(ctx context.Context, tx *sql.Tx, b *userport.ImportBatch, counts userport.ImportSummary, failed []userport.ImportError) error {
	if err := insertImportErrors(ctx, tx, b, failed); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE import_state SET inserted = inserted + ?, updated = updated + ?,
		failed = failed + ? WHERE tenant = ? AND job_id = ?`, counts.Inserted, counts.Updated, int64(len(failed)), b.Tenant, b.JobID)
	if err != nil {
		return fmt.Errorf("counters: %w", err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE jobs SET percentage_done = ?, time_left_seconds = ?
		WHERE tenant = ? AND id = ? AND status = 'processing'`, b.PercentageDone, b.TimeLeftSeconds, b.Tenant, b.JobID)
	if err != nil {
		return fmt.Errorf("progress: %w", err)
	}
	return nil
}

// insertImportErrors keeps the importer's and the store's per-user errors,
// as many as the job has room for below userport.MaxImportErrors.
func insertImportErrors(ctx context.Context, tx *sql.Tx, b *userport.ImportBatch, failed []userport.ImportError) error {
	if len(failed) == 0 {
		return nil
	}
	var kept int
	err := tx.QueryRowContext(ctx, `SELECT failed FROM import_state WHERE tenant = ? AND job_id = ?`, b.Tenant, b.JobID).Scan(&kept)
	if err != nil {
		return fmt.Errorf("errors: %w", err)
	}
	failed = failed[:min(len(failed), userport.ImportErrorRoom(kept))]
	if len(failed) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO import_errors (tenant, job_id, record, doc) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("errors: %w", err)
	}
	defer stmt.Close()
	for _, e := range failed {
		if e.Record < b.From || e.Record >= b.To {
			return fmt.Errorf("error of record %d outside the batch [%d, %d)", e.Record, b.From, b.To)
		}
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
		var e userport.ImportError
		var doc []byte
		if err := rows.Scan(&e.Record, &doc); err != nil {
			return nil, fmt.Errorf("list import errors: %w", err)
		}
		if err := json.Unmarshal(doc, &e); err != nil {
			return nil, fmt.Errorf("list import errors: record %d: %w", e.Record, err)
		}
		list = append(list, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list import errors: %w", err)
	}
	return list, nil
}

// FindCustomPasswordHash returns the custom_password_hash kept for a user.
func (db *DB) FindCustomPasswordHash(ctx context.Context, tenant, userID string) (_ json.RawMessage, err error) {
	defer mapBusy(&err)
	var h string
	err = db.db.QueryRowContext(ctx, qCustomPasswordHash, tenant, userID).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, userport.ErrUserNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("find custom password hash: %w", err)
	}
	if h == "" {
		return nil, nil
	}
	return json.RawMessage(h), nil
}

// importWriter writes the users of one batch with statements prepared on the
// batch's transaction.
type importWriter struct {
	b      *userport.ImportBatch
	insert *sql.Stmt
	update *sql.Stmt
	byID   *sql.Stmt
	stmts  []*sql.Stmt
	tx     *sql.Tx
	rowCtx context.Context // rows run without cancellation; see insertUsers
}

// writeImportUsers writes b's users and returns what they did and the
// batch's per-user errors (b.Failed and the store's), in record order.
func writeImportUsers(ctx context.Context, tx *sql.Tx, b *userport.ImportBatch) (userport.ImportSummary, []userport.ImportError, error) {
	var counts userport.ImportSummary
	failed := slices.Clone(b.Failed)
	if len(b.Users) == 0 {
		userport.SortImportErrors(failed)
		return counts, failed, nil
	}
	w, err := newImportWriter(ctx, tx, b)
	if err != nil {
		return counts, nil, err
	}
	defer w.close()
	for i := range b.Users {
		if err := ctx.Err(); err != nil {
			return counts, nil, err
		}
		u := &b.Users[i]
		issue, updated, err := w.write(ctx, u)
		switch {
		case err != nil:
			return counts, nil, fmt.Errorf("record %d: %w", u.Record, err)
		case issue != nil:
			failed = append(failed, userport.ImportError{Record: u.Record, User: u.Echo(), Errors: []userport.ImportIssue{*issue}})
		case updated:
			counts.Updated++
		default:
			counts.Inserted++
		}
	}
	userport.SortImportErrors(failed)
	return counts, failed, nil
}

// newImportWriter prepares the batch's statements.
func newImportWriter(ctx context.Context, tx *sql.Tx, b *userport.ImportBatch) (*importWriter, error) {
	w := &importWriter{b: b, tx: tx, rowCtx: context.WithoutCancel(ctx)}
	for _, p := range []struct {
		dst   **sql.Stmt
		query string
	}{
		{&w.insert, qImportInsert},
		{&w.update, qImportUpdate},
		{&w.byID, qImportMatchID},
	} {
		stmt, err := tx.PrepareContext(ctx, p.query)
		if err != nil {
			w.close()
			return nil, fmt.Errorf("prepare: %w", err)
		}
		*p.dst = stmt
		w.stmts = append(w.stmts, stmt)
	}
	return w, nil
}

// close releases the prepared statements.
func (w *importWriter) close() {
	for _, s := range w.stmts {
		_ = s.Close()
	}
}

// write inserts u, or updates the user it matches (upsert), or returns the
// issue that stops it.
func (w *importWriter) write(ctx context.Context, u *userport.ImportUser) (issue *userport.ImportIssue, updated bool, err error) {
	if w.b.Upsert {
		match, key, ok, err := w.match(ctx, u.User)
		if err != nil {
			return nil, false, err
		}
		if ok {
			issue, err := w.updateMatch(ctx, u, match, key)
			return issue, issue == nil && err == nil, err
		}
	}
	issue, err = w.insertUser(ctx, u)
	return issue, false, err
}

// matched is an existing user and the import that last wrote it.
type matched struct {
	user      *userport.User
	importJob string
}

// match finds the user that u updates: the same user_id in the tenant, else
// the same email in the connection. key says which matched; ok is false when
// none did.
func (w *importWriter) match(ctx context.Context, u *userport.User) (m *matched, key string, ok bool, err error) {
	m, ok, err = scanMatch(w.byID.QueryRowContext(w.rowCtx, w.b.Tenant, u.UserID))
	if err != nil || ok || u.Email == "" {
		return m, "user_id", ok, err
	}
	m, ok, err = scanMatch(w.tx.QueryRowContext(w.rowCtx, qImportMatchEmail, w.b.Tenant, w.b.ConnectionID, u.Email))
	return m, "email", ok, err
}

// scanMatch reads a matched user; ok is false when there is none.
func scanMatch(row *sql.Row) (*matched, bool, error) {
	var m matched
	var u userport.User
	var created, updated sql.NullInt64
	var doc []byte
	err := row.Scan(&u.Tenant, &u.UserID, &u.ConnectionID, &u.Email, &u.Username, &u.PasswordHash,
		&created, &updated, &doc, &m.importJob)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, fmt.Errorf("match user: %w", err)
	}
	u.CreatedAt, u.UpdatedAt, u.Doc = fromMillis(created), fromMillis(updated), doc
	m.user = &u
	return &m, true, nil
}

// insertUser inserts u's user, or returns the issue of the key it collides on.
func (w *importWriter) insertUser(ctx context.Context, u *userport.ImportUser) (*userport.ImportIssue, error) {
	x := u.User
	_, err := w.insert.ExecContext(w.rowCtx, w.b.Tenant, x.UserID, w.b.ConnectionID, x.Email, x.Username,
		x.PasswordHash, toMillis(x.CreatedAt), toMillis(x.UpdatedAt), string(x.Doc), string(u.CustomPasswordHash), w.b.JobID)
	if isConflict(err) {
		return w.collision(ctx, x, false)
	} else if err != nil {
		return nil, fmt.Errorf("insert user %s: %w", x.UserID, err)
	}
	return nil, nil
}

// updateMatch updates the matched user with u, or returns why it cannot.
func (w *importWriter) updateMatch(ctx context.Context, u *userport.ImportUser, m *matched, key string) (*userport.ImportIssue, error) {
	if m.importJob == w.b.JobID {
		issue := userport.ImportDuplicate(key)
		return &issue, nil
	}
	if m.user.ConnectionID != w.b.ConnectionID {
		issue := userport.ImportCollision("user_id")
		return &issue, nil
	}
	x, err := u.Update(m.user)
	if err != nil {
		return nil, fmt.Errorf("update user %s: %w", m.user.UserID, err)
	}
	custom := string(u.CustomPasswordHash)
	_, err = w.update.ExecContext(w.rowCtx, w.b.ConnectionID, x.Email, x.Username, x.PasswordHash,
		toMillis(x.CreatedAt), toMillis(x.UpdatedAt), string(x.Doc), custom, custom, w.b.JobID, w.b.Tenant, m.user.UserID)
	if isConflict(err) {
		return w.collision(ctx, x, true)
	} else if err != nil {
		return nil, fmt.Errorf("update user %s: %w", m.user.UserID, err)
	}
	return nil, nil
}

// collision returns the issue of u colliding with another user: the first
// of its keys (user_id, email, username) that another user has, as
// userport.CollisionIssue decides it.
func (w *importWriter) collision(ctx context.Context, u *userport.User, updating bool) (*userport.ImportIssue, error) {
	key, job, err := w.taken(ctx, u, updating)
	if err != nil {
		return nil, err
	}
	issue := userport.CollisionIssue(key, job == w.b.JobID, w.b.Upsert)
	return &issue, nil
}

// taken returns the first key of u that another user has, and the import
// job that last wrote that user. A user being updated keeps its own user_id.
func (w *importWriter) taken(ctx context.Context, u *userport.User, updating bool) (key, job string, err error) {
	probes := []struct {
		key, query string
		args       []any
	}{
		{"user_id", qTakenUserID, []any{w.b.Tenant, u.UserID}},
		{"email", qTakenEmail, []any{w.b.Tenant, w.b.ConnectionID, u.Email}},
		{"username", qTakenUsername, []any{w.b.Tenant, w.b.ConnectionID, u.Username}},
	}
	for _, p := range probes {
		if p.args[len(p.args)-1] == "" || updating && p.key == "user_id" {
			continue
		}
		err := w.tx.QueryRowContext(w.rowCtx, p.query, append(p.args, self(u, p.key))...).Scan(&job)
		if err == nil {
			return p.key, job, nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return "", "", fmt.Errorf("find the user %s collides with: %w", u.UserID, err)
		}
	}
	return "", "", fmt.Errorf("user %s collides with no user", u.UserID)
}

// self is the user_id a probe on key must not find: a user has its own email
// and username.
func self(u *userport.User, key string) string {
	if key == "user_id" {
		return ""
	}
	return u.UserID
}
