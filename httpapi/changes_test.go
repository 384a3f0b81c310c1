package httpapi_test

// The export request's q and changes_since (issue 21): every refusal, with
// its exact message, and no job written for it.

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/httpapi"
)

// changeFake is the test's store with a change history it is told: the
// store's current watermark and the tenant's horizon (as after a purge, or
// a restore from an older backup), which a real store reaches only by
// waiting out the retention or by restoring a file.
type changeFake struct {
	userport.Store
	mark    userport.Watermark
	horizon uint64
}

func (f changeFake) Watermark(context.Context, string) (userport.Watermark, error) {
	return f.mark, nil
}
func (f changeFake) TombstoneHorizon(context.Context, string) (uint64, error) {
	return f.horizon, nil
}

// withChanges makes the server's store a changeFake at mark with horizon.
func withChanges(mark userport.Watermark, horizon uint64) func(s *httpapi.Server) {
	return func(s *httpapi.Server) { s.Store = changeFake{Store: s.Store, mark: mark, horizon: horizon} }
}

// cursorBody is an export body with changes_since c (signed with key).
func cursorBody(c userport.Cursor, key []byte) string {
	return `{"changes_since":"` + c.Encode(key) + `"}`
}

// cursorRefused is the 400 of a changes_since refused for why.
func cursorRefused(name, body, why string) exBad {
	return exInvalid(name, body, `'Invalid cursor: `+why+`. Take a full export (without changes_since) and continue from its cursor' on property changes_since.`)
}

func TestExportChangesSinceRefused(t *testing.T) {
	t.Parallel()
	b := setup(t, withChanges(userport.Watermark{Low: 95, High: 100}, 10))
	now := b.Clock.Now()
	good := userport.Cursor{Tenant: tenant, Low: 50, At: now.Add(-time.Hour)}
	tampered := []byte(good.Encode(testCursorKey))
	i := len(tampered) - 10 // a letter of the MAC, another letter of base64 in its place
	tampered[i] = map[bool]byte{true: 'B', false: 'A'}[tampered[i] == 'A']
	other := good
	other.Tenant = "other"
	old, below, ahead := good, good, good
	old.At = now.Add(-720*time.Hour - time.Millisecond)
	below.Low, ahead.Low = 9, 101
	for _, c := range []exBad{
		exInvalid("not a string", `{"changes_since":12}`, `'Expected type string but found type integer' on property changes_since.`),
		exInvalid("null", `{"changes_since":null}`, `'Expected type string but found type null' on property changes_since.`),
		exInvalid("empty", `{"changes_since":""}`, `'String is too short (0 chars), minimum 1' on property changes_since.`),
		cursorRefused("malformed", `{"changes_since":"job_0123456789abcdef"}`, "it is not a cursor of this server"),
		cursorRefused("not base64", `{"changes_since":"upc1_*"}`, "it is not a cursor of this server"),
		cursorRefused("tampered", `{"changes_since":"`+string(tampered)+`"}`, "it was changed or signed by another server"),
		cursorRefused("another server's", cursorBody(good, []byte("another server's cursor key")), "it was changed or signed by another server"),
		cursorRefused("another tenant's", cursorBody(other, testCursorKey), "it is another tenant's"),
		cursorRefused("past the retention", cursorBody(old, testCursorKey), "it is older than the tombstone retention (720h0m0s)"),
		cursorRefused("below the horizon", cursorBody(below, testCursorKey), "deletions since it were purged"),
		cursorRefused("ahead of the store", cursorBody(ahead, testCursorKey), "it is ahead of the database (restored from a backup?)"),
		exInvalid("without user_id", `{"format":"csv","fields":[{"name":"email"}],"changes_since":"`+good.Encode(testCursorKey)+`"}`,
			`'An incremental export (changes_since) needs user_id among its fields: its tombstones name the deleted users by it' on property fields.`),
		exInvalid("parquet with a column named deleted_at", `{"format":"parquet","fields":[{"name":"user_id"},{"name":"updated_at","export_as":"deleted_at"}],"changes_since":"`+good.Encode(testCursorKey)+`"}`,
			`'two columns are named "deleted_at": give one of them another export_as' on property fields.`),
	} {
		t.Run(c.name, func(t *testing.T) { b.exPost(c.body).wantError(t, c.status, c.code, c.msg) })
	}
	if n := b.countJobs(userport.JobFilter{Tenant: tenant}); n != 0 {
		t.Errorf("%d jobs written by refused requests", n)
	}
	// The cursor the refusals started from is good: with user_id renamed,
	// and with every attribute (NDJSON without fields).
	for _, body := range []string{cursorBody(good, testCursorKey),
		`{"format":"csv","fields":[{"name":"user_id","export_as":"id"}],"changes_since":"` + good.Encode(testCursorKey) + `"}`,
		`{"format":"parquet","changes_since":"` + good.Encode(testCursorKey) + `"}`} {
		r := b.exPost(body)
		r.wantStatus(t, 200)
		// Auth0's job body is unchanged: no new keys.
		exWantKeys(t, r.body, strings.Split(map[bool]string{true: "type,status,format,fields,created_at,id", false: "type,status,format,created_at,id"}[strings.Contains(body, "csv") || strings.Contains(body, "parquet")], ",")...)
	}
}

// TestExportChangesSinceRetention: a cursor that was good is refused once
// the retention has passed since its watermark.
func TestExportChangesSinceRetention(t *testing.T) {
	t.Parallel()
	b := setup(t, withChanges(userport.Watermark{Low: 95, High: 100}, 0), func(s *httpapi.Server) {
		s.Lifetimes.Tombstones = 48 * time.Hour
	})
	body := cursorBody(userport.Cursor{Tenant: tenant, Low: 50, At: b.Clock.Now()}, testCursorKey)
	b.advance(48 * time.Hour)
	b.exPost(body).wantStatus(t, 200)
	b.advance(time.Millisecond)
	b.exPost(body).wantError(t, 400, "invalid_body", "Payload validation error: 'Invalid cursor: it is older than the tombstone retention (48h0m0s). "+
		"Take a full export (without changes_since) and continue from its cursor' on property changes_since.")
}

func TestExportQuery(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, q := range []string{`email:(`, `app_metadata.plan:"pro" AND`, `name:"unclosed`, `created_at:[2025-01-01 TO`} {
		// The same message as GET /users?q=, on the body's property.
		users := b.admin("GET", "/users?q="+url.QueryEscape(q), nil)
		msg, ok := strings.CutPrefix(userport.ErrorMessage(errorOf(t, users)), "Query validation error: ")
		if users.status != 400 || !ok || !strings.Contains(msg, "at position") {
			t.Fatalf("GET /users?q=%s: %d %s", q, users.status, users.body)
		}
		b.exPost(`{"q":`+mustJSON(t, q)+`}`).wantError(t, 400, "invalid_body", "Payload validation error: "+msg)
	}
	b.exPost(`{"q":7}`).wantError(t, 400, "invalid_body", "Payload validation error: 'Expected type string but found type integer' on property q.")
	b.exPost(`{"q":""}`).wantError(t, 400, "invalid_body", "Payload validation error: 'String is too short (0 chars), minimum 1' on property q.")
	b.exPost(`{"q":" "}`).wantError(t, 400, "invalid_body", "Payload validation error: 'Invalid query at position 1: the query is empty' on property q.")
	if n := b.countJobs(userport.JobFilter{Tenant: tenant}); n != 0 {
		t.Errorf("%d jobs written by refused requests", n)
	}
	r := b.exPost(`{"format":"json","q":"app_metadata.plan:\"pro\" AND last_login:[2025-01-01 TO *]","limit":5}`)
	r.wantStatus(t, 200)
	exWantKeys(t, r.body, "type", "status", "format", "limit", "created_at", "id")
	stored, err := b.storedJob(decodeJob(t, r.body).ID)
	must(t, err)
	if stored.Query != `app_metadata.plan:"pro" AND last_login:[2025-01-01 TO *]` {
		t.Errorf("stored q %q", stored.Query)
	}
}

// errorOf decodes an error body into a userport error.
func errorOf(t *testing.T, r *response) error {
	t.Helper()
	var body struct{ Message, ErrorCode string }
	r.decode(t, &body)
	return userport.Errorf(userport.EINVALID, body.ErrorCode, "%s", body.Message)
}
