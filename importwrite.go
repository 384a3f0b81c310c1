package userport

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
)

// The keys an imported user is matched by or collides on, in the order they
// are probed; also the Path of the issues about them.
const (
	ImportKeyUserID   = "user_id"  // unique in the tenant
	ImportKeyEmail    = "email"    // unique in a connection, when not empty
	ImportKeyUsername = "username" // unique in a connection, when not empty
)

// importKeys are the keys in the order a collision is reported by.
var importKeys = []string{ImportKeyUserID, ImportKeyEmail, ImportKeyUsername}

// importKey returns u's value of key.
func importKey(u *User, key string) string {
	switch key {
	case ImportKeyEmail:
		return u.Email
	case ImportKeyUsername:
		return u.Username
	}
	return u.UserID
}

// ImportRow is a stored user as an import sees it: the user and the import
// job that last wrote it ("" for none).
type ImportRow struct {
	User      *User
	ImportJob string
}

// ImportWrite is a user an import batch inserts or updates: the user as
// stored (its UserID names the user an update changes; its ConnectionID is
// the batch's), and the custom_password_hash to keep ("" keeps the stored
// one on an update).
type ImportWrite struct {
	User               *User
	CustomPasswordHash json.RawMessage
}

// ImportTx is what WriteImportBatch needs of the transaction of one batch:
// each method is one statement's worth of a store's SQL, and decides
// nothing. Every method works on the batch's tenant and job; the users a
// batch writes are recorded as written by its job.
type ImportTx interface {
	// AdvanceImportCursor moves the job's cursor from b.From to b.To and
	// records b.BytesRead; false when the stored cursor is not b.From or the
	// job has no import state (nothing changed then).
	AdvanceImportCursor(ctx context.Context, b *ImportBatch) (bool, error)
	// FindImportState returns the job's state as the transaction sees it:
	// ENOTFOUND ("inexistent_job") when there is none.
	FindImportState(ctx context.Context, tenant, jobID string) (*ImportState, error)
	// FindImportRows returns the users whose key is one of values, in one
	// query: for ImportKeyUserID the users of the tenant, for ImportKeyEmail
	// and ImportKeyUsername the users of b's connection (never for "").
	FindImportRows(ctx context.Context, b *ImportBatch, key string, values []string) ([]ImportRow, error)
	// InsertImportUsers inserts users in order, as if one at a time, and
	// returns the positions in users of those it did not insert because
	// another user (stored, or earlier in users) has one of their keys.
	InsertImportUsers(ctx context.Context, b *ImportBatch, users []ImportWrite) ([]int, error)
	// UpdateImportUsers updates users in order, as if one at a time, and
	// returns the positions of those it left unchanged because another user
	// has one of their keys.
	UpdateImportUsers(ctx context.Context, b *ImportBatch, users []ImportWrite) ([]int, error)
	// InsertImportErrors keeps errs, the per-user errors of records of the batch.
	InsertImportErrors(ctx context.Context, b *ImportBatch, errs []ImportError) error
	// AddImportCounts adds counts' Inserted, Updated and Failed to the job's.
	AddImportCounts(ctx context.Context, b *ImportBatch, counts ImportSummary) error
	// WriteImportProgress writes b.PercentageDone and b.TimeLeftSeconds to
	// the job if it is processing.
	WriteImportProgress(ctx context.Context, b *ImportBatch) error
}

// WriteImportBatch writes b through tx, the statements of one transaction
// that the caller commits: the import's rules, which both stores share.
// The cursor moves first, so that a second worker of the job fails
// (ECONFLICT) before writing anything. Then each user, in file order, is
// inserted, or (with b.Upsert) updates the user it matches (same user_id in
// the tenant, else same email in the connection), or becomes a per-user
// error (ImportDuplicate, ImportExists, ImportCollision); the errors are kept
// up to MaxImportErrors, the counters and the job's progress written. It
// returns the job's state after the batch.
func WriteImportBatch(ctx context.Context, tx ImportTx, b *ImportBatch) (*ImportState, error) {
	if err := checkImportBatch(b); err != nil {
		return nil, err
	}
	if err := advanceImportCursor(ctx, tx, b); err != nil {
		return nil, err
	}
	p := newImportPlan(tx, b)
	if err := p.run(ctx); err != nil {
		return nil, err
	}
	failed := append(slices.Clone(b.Failed), p.issues...)
	SortImportErrors(failed)
	if err := keepImportErrors(ctx, tx, b, failed); err != nil {
		return nil, err
	}
	p.counts.Failed = int64(len(failed))
	if err := tx.AddImportCounts(ctx, b, p.counts); err != nil {
		return nil, fmt.Errorf("counters: %w", err)
	}
	if err := tx.WriteImportProgress(ctx, b); err != nil {
		return nil, fmt.Errorf("progress: %w", err)
	}
	return tx.FindImportState(ctx, b.Tenant, b.JobID)
}

// checkImportBatch refuses a batch whose cursor goes back or that has an
// error of a record outside it.
func checkImportBatch(b *ImportBatch) error {
	if b.To < b.From {
		return fmt.Errorf("cursor %d before %d", b.To, b.From)
	}
	for _, e := range b.Failed {
		if e.Record < b.From || e.Record >= b.To {
			return fmt.Errorf("error of record %d outside the batch [%d, %d)", e.Record, b.From, b.To)
		}
	}
	return nil
}

// advanceImportCursor moves the cursor from b.From to b.To: ECONFLICT when
// it is not at b.From, ENOTFOUND when the job has no import state.
func advanceImportCursor(ctx context.Context, tx ImportTx, b *ImportBatch) error {
	moved, err := tx.AdvanceImportCursor(ctx, b)
	if err != nil {
		return fmt.Errorf("cursor: %w", err)
	}
	if moved {
		return nil
	}
	if _, err := tx.FindImportState(ctx, b.Tenant, b.JobID); err != nil {
		return err
	}
	return Errorf(ECONFLICT, "", "The import job's cursor is not at record %d: another worker runs it.", b.From)
}

// keepImportErrors keeps as many of failed as the job has room for below
// MaxImportErrors.
func keepImportErrors(ctx context.Context, tx ImportTx, b *ImportBatch, failed []ImportError) error {
	if len(failed) == 0 {
		return nil
	}
	st, err := tx.FindImportState(ctx, b.Tenant, b.JobID)
	if err != nil {
		return fmt.Errorf("errors: %w", err)
	}
	failed = failed[:min(len(failed), ImportErrorRoom(int(st.Summary.Failed)))]
	if len(failed) == 0 {
		return nil
	}
	if err := tx.InsertImportErrors(ctx, b, failed); err != nil {
		return fmt.Errorf("errors: %w", err)
	}
	return nil
}
