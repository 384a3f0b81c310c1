package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
	s := userport.ImportState{Tenant: tenant, JobID: jobID}
	err := q.QueryRow(ctx, `SELECT file_bytes, records, bytes_read, inserted, updated, failed
		FROM import_state WHERE tenant = $1 AND job_id = $2`, tenant, jobID).
		Scan(&s.FileBytes, &s.Records, &s.BytesRead, &s.Summary.Inserted, &s.Summary.Updated, &s.Summary.Failed)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, userport.ErrJobNotFound()
	} else if err != nil {
		return nil, err
	}
	s.Summary.Total = s.Records
	return &s, nil
}

// WriteImportBatch writes one batch of an import job in one transaction: the
// cursor moves first (a duplicate worker waits for the row's lock, then
// fails before writing anything), then the users, the errors, the counters
// and the job's progress.
func (db *DB) WriteImportBatch(ctx context.Context, b *userport.ImportBatch) (*userport.ImportState, error) {
	var s *userport.ImportState
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if err := moveCursor(ctx, tx, b); err != nil {
			return err
		}
		counts, failed, err := writeImportUsers(ctx, tx, b)
		if err != nil {
			return err
		}
		if err := finishBatch(ctx, tx, b, counts, failed); err != nil {
			return err
		}
		s, err = findImportState(ctx, tx, b.Tenant, b.JobID)
		return err
	})
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("write import batch: %w", ctx.Err())
	} else if err != nil {
		return nil, fmt.Errorf("write import batch: %w", dbError(err))
	}
	return s, nil
}

// moveCursor advances the cursor from b.From to b.To: ECONFLICT when it is
// not at b.From, ENOTFOUND when the job has no import state.
func moveCursor(ctx context.Context, tx pgx.Tx, b *userport.ImportBatch) error {
	if b.To < b.From {
		return fmt.Errorf("cursor %d before %d", b.To, b.From)
	}
	tag, err := tx.Exec(ctx, `UPDATE import_state SET records = $1, bytes_read = $2
		WHERE tenant = $3 AND job_id = $4 AND records = $5`, b.To, b.BytesRead, b.Tenant, b.JobID, b.From)
	if err != nil {
		return fmt.Errorf("cursor: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	if _, err := findImportState(ctx, tx, b.Tenant, b.JobID); err != nil {
		return err
	}
	return userport.Errorf(userport.ECONFLICT, "", "The import job's cursor is not at record %d: another worker runs it.", b.From)
}

// finishBatch keeps the batch's errors, adds its counts and writes the job's
// progress if the job is processing.
func finishBatch(ctx context.Context, tx pgx.Tx, b *userport.ImportBatch, counts userport.ImportSummary, failed []userport.ImportError) error {
	if err := insertImportErrors(ctx, tx, b, failed); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE import_state SET inserted = inserted + $1, updated = updated + $2,
		failed = failed + $3 WHERE tenant = $4 AND job_id = $5`, counts.Inserted, counts.Updated, int64(len(failed)), b.Tenant, b.JobID)
	if err != nil {
		return fmt.Errorf("counters: %w", err)
	}
	_, err = tx.Exec(ctx, `UPDATE jobs SET percentage_done = $1, time_left_seconds = $2
		WHERE tenant = $3 AND id = $4 AND status = 'processing'`, b.PercentageDone, b.TimeLeftSeconds, b.Tenant, b.JobID)
	if err != nil {
		return fmt.Errorf("progress: %w", err)
	}
	return nil
}

// insertImportErrors keeps the importer's and the store's per-user errors,
// as many as the job has room for below userport.MaxImportErrors, in one COPY.
func insertImportErrors(ctx context.Context, tx pgx.Tx, b *userport.ImportBatch, failed []userport.ImportError) error {
	if len(failed) == 0 {
		return nil
	}
	var kept int
	err := tx.QueryRow(ctx, `SELECT failed FROM import_state WHERE tenant = $1 AND job_id = $2`, b.Tenant, b.JobID).Scan(&kept)
	if err != nil {
		return fmt.Errorf("errors: %w", err)
	}
	failed = failed[:min(len(failed), userport.ImportErrorRoom(kept))]
	if len(failed) == 0 {
		return nil
	}
	rows := make([][]any, len(failed))
	for i, e := range failed {
		if e.Record < b.From || e.Record >= b.To {
			return fmt.Errorf("error of record %d outside the batch [%d, %d)", e.Record, b.From, b.To)
		}
		doc, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("error of record %d: %w", e.Record, err)
		}
		rows[i] = []any{b.Tenant, b.JobID, e.Record, string(doc)}
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"import_errors"}, []string{"tenant", "job_id", "record", "doc"}, pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("errors: %w", err)
	}
	return nil
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
		list, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*userport.ImportError, error) {
			var e userport.ImportError
			var doc []byte
			if err := row.Scan(&e.Record, &doc); err != nil {
				return nil, err
			}
			if err := json.Unmarshal(doc, &e); err != nil {
				return nil, fmt.Errorf("record %d: %w", e.Record, err)
			}
			return &e, nil
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
	var h string
	err := db.query(ctx, func(ctx context.Context, q querier) error {
		return q.QueryRow(ctx, sqlFindCustomPasswordHash, tenant, userID).Scan(&h)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, userport.ErrUserNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("find custom password hash: %w", err)
	}
	if h == "" {
		return nil, nil
	}
	return json.RawMessage(h), nil
}

// importWriter writes the users of one batch in the batch's transaction.
type importWriter struct {
	b  *userport.ImportBatch
	tx pgx.Tx
}

// writeImportUsers writes b's users and returns what they did and the
// batch's per-user errors (b.Failed and the store's), in record order.
func writeImportUsers(ctx context.Context, tx pgx.Tx, b *userport.ImportBatch) (userport.ImportSummary, []userport.ImportError, error) {
	var counts userport.ImportSummary
	failed := slices.Clone(b.Failed)
	w := &importWriter{b: b, tx: tx}
	for i := range b.Users {
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
	m, ok, err = scanMatch(w.tx.QueryRow(ctx, sqlImportMatchByID, w.b.Tenant, u.UserID))
	if err != nil || ok || u.Email == "" {
		return m, "user_id", ok, err
	}
	m, ok, err = scanMatch(w.tx.QueryRow(ctx, sqlImportMatchByEmail, w.b.Tenant, w.b.ConnectionID, u.Email))
	return m, "email", ok, err
}

// scanMatch reads a matched user; ok is false when there is none.
func scanMatch(row pgx.Row) (*matched, bool, error) {
	var m matched
	var u userport.User
	var created, updated *time.Time
	var doc []byte
	err := row.Scan(&u.Tenant, &u.UserID, &u.ConnectionID, &u.Email, &u.Username, &u.PasswordHash,
		&created, &updated, &doc, &m.importJob)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, fmt.Errorf("match user: %w", err)
	}
	u.CreatedAt, u.UpdatedAt, u.Doc = fromTime(created), fromTime(updated), doc
	m.user = &u
	return &m, true, nil
}

// insertUser inserts u's user, or returns the issue of the key it collides
// on. ON CONFLICT DO NOTHING skips a user whose user_id, email or username
// is taken without aborting the transaction.
func (w *importWriter) insertUser(ctx context.Context, u *userport.ImportUser) (*userport.ImportIssue, error) {
	x := u.User
	tag, err := w.tx.Exec(ctx, `INSERT INTO users (`+userColumns+`, custom_password_hash, import_job)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING`,
		w.b.Tenant, x.UserID, w.b.ConnectionID, x.Email, x.Username, x.PasswordHash,
		toTime(x.CreatedAt), toTime(x.UpdatedAt), string(x.Doc), string(u.CustomPasswordHash), w.b.JobID)
	if err != nil {
		return nil, fmt.Errorf("insert user %s: %w", x.UserID, err)
	}
	if tag.RowsAffected() == 0 {
		return w.collision(ctx, x, false)
	}
	return nil, nil
}

// updateMatch updates the matched user with u, or returns why it cannot. The
// update runs in a savepoint: a unique violation rolls back to it and the
// batch goes on.
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
	sp, err := w.tx.Begin(ctx)
	if err != nil {
		return nil, err
	}
	_, err = sp.Exec(ctx, sqlImportUpdate, w.b.Tenant, m.user.UserID, w.b.ConnectionID, x.Email, x.Username,
		x.PasswordHash, toTime(x.CreatedAt), toTime(x.UpdatedAt), string(x.Doc), string(u.CustomPasswordHash), w.b.JobID)
	if isConflict(err) {
		if err := sp.Rollback(ctx); err != nil {
			return nil, err
		}
		return w.collision(ctx, x, true)
	} else if err != nil {
		return nil, fmt.Errorf("update user %s: %w", m.user.UserID, err)
	}
	return nil, sp.Commit(ctx)
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
		key, sql, value string
		args            []any
	}{
		{"user_id", sqlProbeUserID, u.UserID, []any{w.b.Tenant, u.UserID}},
		{"email", sqlProbeEmail, u.Email, []any{w.b.Tenant, w.b.ConnectionID, u.Email, u.UserID}},
		{"username", sqlProbeUsername, u.Username, []any{w.b.Tenant, w.b.ConnectionID, u.Username, u.UserID}},
	}
	for _, p := range probes {
		if p.value == "" || updating && p.key == "user_id" {
			continue
		}
		err := w.tx.QueryRow(ctx, p.sql, p.args...).Scan(&job)
		if err == nil {
			return p.key, job, nil
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return "", "", fmt.Errorf("find the user %s collides with: %w", u.UserID, err)
		}
	}
	return "", "", fmt.Errorf("user %s collides with no user", u.UserID)
}
