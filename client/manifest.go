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

// Manifest reads the manifest of the completed export job id.
func (c *Client) Manifest(ctx context.Context, id string) (*userport.ExportManifest, error) {
	var m userport.ExportManifest
	if err := c.api(ctx, http.MethodGet, "/jobs/"+url.PathEscape(id)+"/manifest", nil, nil, http.StatusOK, &m); err != nil {
		return nil, fmt.Errorf("get the manifest of job %s: %w", id, err)
	}
	return &m, nil
}

// checkManifest compares what a download received with the manifest m:
// the same number of bytes and the same sha256. A nil manifest checks
// nothing.
func checkManifest(m *userport.ExportManifest, got copied) error {
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
