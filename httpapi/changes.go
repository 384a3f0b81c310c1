package httpapi

import (
	"context"

	"github.com/userport/userport"
	"github.com/userport/userport/encode"
	"github.com/userport/userport/search"
)

// readExportQuery reads an export's "q" (a userport extension): an Auth0
// user-search query, parsed as GET /users parses its q, so that a query that
// does not parse is a 400 naming its position, never a failed job.
func readExportQuery(o object, job *userport.Job) error {
	if err := o.str("q", &job.Query, 0); err != nil || !o.has("q") {
		return err
	}
	if _, err := search.Parse(job.Query); err != nil {
		return invalidBody("%s", searchIssue("q", err))
	}
	return nil
}

// readChangesSince reads an export's "changes_since" (a userport
// extension), a cursor of an earlier export's manifest: the export then
// carries only the users changed after it, and the users deleted since. A
// cursor that cannot say that safely is refused (userport.CursorCheck).
func (s *Server) readChangesSince(ctx context.Context, o object, job *userport.Job) error {
	if err := o.str("changes_since", &job.ChangesSince, 0); err != nil || !o.has("changes_since") {
		return err
	}
	if !hasField(job.Fields, "user_id") {
		return invalidBody("'An incremental export (changes_since) needs user_id among its fields: its tombstones name the deleted users by it' on property fields.")
	}
	if err := encode.ValidateIncremental(job.Format, job.Fields); err != nil {
		return invalidBody("'%v' on property fields.", err) // a Parquet column named deleted_at
	}
	c, err := s.cursorCheck(ctx, job.ChangesSince)
	if err != nil {
		return err
	}
	job.Since = c.Low
	return nil
}

// hasField reports whether fields export name; no fields is every attribute.
func hasField(fields []userport.Field, name string) bool {
	for _, f := range fields {
		if f.Name == name {
			return true
		}
	}
	return len(fields) == 0
}

// cursorCheck parses a cursor and checks it against the tenant's horizon and
// the store's current watermark (userport.CursorCheck decides).
func (s *Server) cursorCheck(ctx context.Context, cursor string) (userport.Cursor, error) {
	c, err := userport.ParseCursor(cursor, s.CursorKey)
	if err != nil {
		return c, userport.InvalidCursor(err)
	}
	horizon, err := s.Store.TombstoneHorizon(ctx, s.Tenant)
	if err != nil {
		return c, err
	}
	current, err := s.Store.Watermark(ctx, s.Tenant)
	if err != nil {
		return c, err
	}
	check := userport.CursorCheck{Tenant: s.Tenant, Now: s.Clock.Now(), Retention: s.Lifetimes.WithDefaults().Tombstones,
		Horizon: horizon, Current: current}
	return c, check.Check(c)
}
