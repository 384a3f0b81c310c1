package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"
)

// TestTextStaysText checks the store's connections (the writer River
// shares, the read-only pool) the way a query of an expression reads them:
// a text that looks like a time comes back as that text, not as a
// time.Time (the driver's default for values of columns not declared TEXT),
// while a column declared TIMESTAMP, as River's are, is still a time.
func TestTextStaysText(t *testing.T) {
	ctx := t.Context()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "userport.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for name, h := range map[string]interface {
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	}{"writer": db.db, "reader": db.read} {
		for _, s := range []string{"2024-01-02T03:04:05Z", "2024-01-02T03:04:05.123456789+01:00", "2024-01-02"} {
			var got any
			if err := h.QueryRowContext(ctx, "SELECT ?", s).Scan(&got); err != nil {
				t.Fatalf("%s: SELECT %q: %v", name, s, err)
			}
			if got != s {
				t.Errorf("%s: SELECT %q = %#v (%T), want the text", name, s, got, got)
			}
		}
	}
	if _, err := db.db.ExecContext(ctx, `CREATE TEMP TABLE stamps (at TIMESTAMP); INSERT INTO stamps VALUES ('2024-01-02 03:04:05.678')`); err != nil {
		t.Fatal(err)
	}
	var at any
	err = db.db.QueryRowContext(ctx, `SELECT at FROM stamps`).Scan(&at)
	if tm, ok := at.(time.Time); err != nil || !ok || !tm.Equal(time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC)) {
		t.Errorf("a TIMESTAMP = %#v, %v; want 2024-01-02 03:04:05.678 UTC as a time.Time", at, err)
	}
}
