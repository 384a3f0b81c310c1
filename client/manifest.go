package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/userport/userport"
)

// Manifest is what GET /api/v2/jobs/{id}/manifest (a userport extension)
// tells of a completed export: what its file holds, the file's size and
// sha256, and the cursor an incremental export continues from.
type Manifest struct {
	Rows        int64            `json:"rows"`       // users in the file
	Tombstones  int64            `json:"tombstones"` // deleted users in the file (incremental exports)
	Bytes       int64            `json:"bytes"`      // the stored (gzip'd) file's size
	SHA256      string           `json:"sha256"`     // hex sha256 of the stored file
	Format      string           `json:"format"`
	Fields      []userport.Field `json:"fields"`
	FieldCounts []FieldCount     `json:"field_counts"`
	// Q and ChangesSince are the export's filter and the cursor it started
	// from, null when not given.
	Q            *string `json:"q"`
	ChangesSince *string `json:"changes_since"`
	// Cursor names the point of the tenant's history the file is
	// consistent with; null when the export's limit cut it short.
	Cursor      *string `json:"cursor"`
	CreatedAt   string  `json:"created_at"`
	CompletedAt string  `json:"completed_at"`
}

// FieldCount is how many users of an export had a value for one of its
// fields (named by its column: export_as, else the path).
type FieldCount struct {
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

// Manifest reads the manifest of the completed export job id.
func (c *Client) Manifest(ctx context.Context, id string) (*Manifest, error) {
	var m Manifest
	if err := c.api(ctx, http.MethodGet, "/jobs/"+url.PathEscape(id)+"/manifest", nil, nil, http.StatusOK, &m); err != nil {
		return nil, fmt.Errorf("get the manifest of job %s: %w", id, err)
	}
	return &m, nil
}

// EmptyFields are the columns of m that no user had a value for: most
// likely a misspelt path, or one the users keep elsewhere. None when the
// file holds no user (an incremental export without changes).
func (m *Manifest) EmptyFields() []string {
	var empty []string
	if m.Rows == 0 {
		return nil
	}
	for _, fc := range m.FieldCounts {
		if fc.Count == 0 {
			empty = append(empty, fc.Name)
		}
	}
	return empty
}

// check compares what a download received with the manifest: the same
// number of bytes and the same sha256. A nil manifest checks nothing.
func (m *Manifest) check(got copied) error {
	switch {
	case m == nil:
		return nil
	case got.received != m.Bytes:
		return fmt.Errorf("the file received does not match the export's manifest: %d bytes, the manifest says %d", got.received, m.Bytes)
	case !strings.EqualFold(got.sha256, m.SHA256):
		return fmt.Errorf("the file received does not match the export's manifest: sha256 %s, the manifest says %s", got.sha256, m.SHA256)
	}
	return nil
}

// CursorRefused reports whether err is the server's refusal of an
// export's changes_since cursor (400: malformed, another tenant's or
// server's, past the tombstone retention, ahead of a restored store):
// then only a full export can start the chain again.
func CursorRefused(err error) bool {
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusBadRequest {
		return false
	}
	// The server's message names the cursor and says to take a full export
	// (another 400 of an incremental export, user_id missing among its
	// fields say, does not).
	msg := strings.ToLower(e.Message)
	return strings.Contains(msg, "cursor") && strings.Contains(msg, "full export")
}
