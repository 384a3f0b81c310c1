package userport

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"time"
)

// Cursor is the point of a tenant's change history an export's file is
// consistent with: the manifest's "cursor", which a later export takes as
// "changes_since" to carry only what changed after it. Clients see it as an
// opaque string (Encode): versioned, bound to the tenant, and signed with
// HMAC-SHA256 under a key of the deployment (the secrets' cursor key), so
// that a client can neither forge one nor move it.
type Cursor struct {
	Tenant string
	Low    uint64    // the Low of the export's watermark
	At     time.Time // when the watermark was taken (milliseconds)
}

// cursorPrefix starts every cursor of the current version: a cursor of
// another version (or none) does not parse.
const cursorPrefix = "upc1_"

// cursorPayload is the length of a cursor's fixed fields: Low and At (Unix
// milliseconds), 8 bytes each, big-endian; the tenant follows them, then the
// MAC.
const cursorPayload = 16

// maxCursor bounds the length of a cursor string Parse reads (tenant names
// are at most 63 characters).
const maxCursor = 256

// Errors of ParseCursor. Their text is shown to the client, within
// InvalidCursor's message.
var (
	ErrCursorMalformed = errors.New("it is not a cursor of this server")
	ErrCursorTampered  = errors.New("it was changed or signed by another server")
)

// Encode returns c as the opaque string a manifest shows, signed with key.
func (c Cursor) Encode(key []byte) string {
	b := make([]byte, cursorPayload, cursorPayload+len(c.Tenant)+sha256.Size)
	binary.BigEndian.PutUint64(b, c.Low)
	binary.BigEndian.PutUint64(b[8:], uint64(c.At.UnixMilli()))
	b = append(b, c.Tenant...)
	b = append(b, cursorMAC(key, b)...)
	return cursorPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// ParseCursor reads a cursor Encode wrote with key: ErrCursorMalformed when
// s is not one, ErrCursorTampered when its signature does not hold.
func ParseCursor(s string, key []byte) (Cursor, error) {
	rest, ok := strings.CutPrefix(s, cursorPrefix)
	if !ok || len(s) > maxCursor {
		return Cursor{}, ErrCursorMalformed
	}
	// The decoder skips \r and \n, even in Strict mode: a cursor has
	// one spelling, so they are refused first.
	if strings.ContainsAny(rest, "\r\n") {
		return Cursor{}, ErrCursorMalformed
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(rest)
	if err != nil || len(b) < cursorPayload+sha256.Size {
		return Cursor{}, ErrCursorMalformed
	}
	payload, mac := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if !hmac.Equal(mac, cursorMAC(key, payload)) {
		return Cursor{}, ErrCursorTampered
	}
	return Cursor{
		Low:    binary.BigEndian.Uint64(payload),
		At:     time.UnixMilli(int64(binary.BigEndian.Uint64(payload[8:]))).UTC(),
		Tenant: string(payload[cursorPayload:]),
	}, nil
}

// cursorMAC signs a cursor's payload, its version included.
func cursorMAC(key, payload []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(cursorPrefix))
	m.Write(payload)
	return m.Sum(nil)
}

// CursorCheck is what decides whether a cursor may start an incremental
// export: the tenant asking, the time, the tombstone retention, and the
// tenant's horizon and the store's current watermark
// (ChangeStore.TombstoneHorizon and Watermark).
type CursorCheck struct {
	Tenant    string
	Now       time.Time
	Retention time.Duration
	Horizon   uint64
	Current   Watermark
}

// Check refuses a cursor whose export would miss changes, with
// InvalidCursor: another tenant's; older than the retention (its
// deletions' tombstones may be purged); below the horizon (some were); or
// ahead of the store's current watermark (the database was restored from a
// backup older than the cursor: changes after the backup are gone, and new
// ones would take marks the cursor claims to have seen).
//
// At the horizon (Low equal to the highest purged mark) a cursor is good:
// on SQLite an export reads the marks above Low, so a purged tombstone at
// Low was seen by the cursor's export (a full export taken right after a
// purge, with no write since, has exactly that Low and must be accepted).
// On PostgreSQL an export reads from Low on, and a purged tombstone at Low
// would be one whose deleting transaction was still open when the cursor's
// watermark was taken and had started longer than the retention before
// the purge: a transaction held open for the whole retention, which the
// retention (30 days) rules out in practice.
func (k CursorCheck) Check(c Cursor) error {
	switch {
	case c.Tenant != k.Tenant:
		return InvalidCursor(errors.New("it is another tenant's"))
	case k.Now.Sub(c.At) > k.Retention:
		return InvalidCursor(errors.New("it is older than the tombstone retention (" + k.Retention.String() + ")"))
	case c.Low < k.Horizon:
		return InvalidCursor(errors.New("deletions since it were purged"))
	case c.Low > k.Current.High:
		return InvalidCursor(errors.New("it is ahead of the database (restored from a backup?)"))
	}
	return nil
}

// InvalidCursor is the 400 invalid_body of a changes_since that cannot
// start an incremental export, for the reason why.
func InvalidCursor(why error) error {
	return Errorf(EINVALID, "invalid_body",
		"Payload validation error: 'Invalid cursor: %v. Take a full export (without changes_since) and continue from its cursor' on property changes_since.", why)
}
