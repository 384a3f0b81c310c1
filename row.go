package userport

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Row is one row of a store's query, as each store adapts its driver's:
// Scan reads a time column into a *time.Time (the zero time for NULL), and
// returns ErrNoRow when the query found no row. What a row means (which
// columns, what a missing row is, how a column is encoded) is then written
// once, here, for both stores.
type Row interface {
	Scan(dest ...any) error
}

// ErrNoRow is the error of a Row's Scan when its query found no row.
var ErrNoRow = errors.New("no row")

// ScanImportState reads an import job's state from row, whose columns are
// file_bytes, records, bytes_read, inserted, updated, failed: ENOTFOUND
// ("inexistent_job") when there is none.
func ScanImportState(row Row, tenant, jobID string) (*ImportState, error) {
	s := ImportState{Tenant: tenant, JobID: jobID}
	err := row.Scan(&s.FileBytes, &s.Records, &s.BytesRead, &s.Summary.Inserted, &s.Summary.Updated, &s.Summary.Failed)
	if errors.Is(err, ErrNoRow) {
		return nil, ErrJobNotFound()
	} else if err != nil {
		return nil, err
	}
	s.Summary.Total = s.Records
	return &s, nil
}

// ScanImportRow reads a user and the import job that last wrote it from
// row, whose columns are tenant, user_id, connection_id, email, username,
// password_hash, created_at, updated_at, doc, import_job.
func ScanImportRow(row Row) (ImportRow, error) {
	var u User
	var job string
	var doc []byte // database/sql scans text into a []byte, not a json.RawMessage
	err := row.Scan(&u.Tenant, &u.UserID, &u.ConnectionID, &u.Email, &u.Username, &u.PasswordHash,
		&u.CreatedAt, &u.UpdatedAt, &doc, &job)
	u.Doc = doc
	return ImportRow{User: &u, ImportJob: job}, err
}

// ClientScopes is how a store keeps c's scopes: a JSON array, [] for none.
func ClientScopes(c *Client) (string, error) {
	scopes := c.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	js, err := json.Marshal(scopes)
	if err != nil {
		return "", fmt.Errorf("scopes: %w", err)
	}
	return string(js), nil
}

// ScanClient reads a client from row, whose columns are tenant, id, name,
// secret_hash, scopes (as ClientScopes keeps them), created_at: ENOTFOUND
// (with no Auth0 errorCode) when there is none.
func ScanClient(row Row) (*Client, error) {
	var c Client
	var scopes string
	err := row.Scan(&c.Tenant, &c.ID, &c.Name, &c.SecretHash, &scopes, &c.CreatedAt)
	if errors.Is(err, ErrNoRow) {
		return nil, ErrClientNotFound()
	} else if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(scopes), &c.Scopes); err != nil {
		return nil, fmt.Errorf("scopes: %w", err)
	}
	return &c, nil
}

// ScanTimes calls scan with dest, each *time.Time in it replaced by a *T
// (what the store's driver reads a time column into), then sets each time
// to conv of what was read: how a store's Row reads times.
func ScanTimes[T any](scan func(dest ...any) error, conv func(T) time.Time, dest ...any) error {
	args := dest
	var times map[int]*T
	for i, d := range dest {
		if _, ok := d.(*time.Time); ok {
			if times == nil {
				args, times = slices.Clone(dest), map[int]*T{}
			}
			times[i] = new(T)
			args[i] = times[i]
		}
	}
	if err := scan(args...); err != nil {
		return err
	}
	for i, t := range times {
		*dest[i].(*time.Time) = conv(*t)
	}
	return nil
}

// ScanCustomPasswordHash reads the custom_password_hash an import kept for
// a user from row: nil when none, ENOTFOUND ("inexistent_user") for no user.
func ScanCustomPasswordHash(row Row) (json.RawMessage, error) {
	var h string
	err := row.Scan(&h)
	if errors.Is(err, ErrNoRow) {
		return nil, ErrUserNotFound()
	} else if err != nil || h == "" {
		return nil, err
	}
	return json.RawMessage(h), nil
}

// ScanImportError reads a per-user error of an import from row, whose
// columns are record and doc (the error as JSON).
func ScanImportError(row Row) (*ImportError, error) {
	var e ImportError
	var doc []byte
	if err := row.Scan(&e.Record, &doc); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(doc, &e); err != nil {
		return nil, fmt.Errorf("record %d: %w", e.Record, err)
	}
	return &e, nil
}
