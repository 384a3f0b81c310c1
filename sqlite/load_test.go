package sqlite_test

import (
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/sqlite"
)

// userIndexes returns the users table's indexes as SQLite keeps them, name
// and CREATE INDEX statement, for the bulk load cases of storetest (the
// automatic index of the primary key has no statement and stays).
func userIndexes(t *testing.T, s userport.Store) []string {
	t.Helper()
	rows, err := s.(*sqlite.DB).SQL().QueryContext(t.Context(), `SELECT name || ': ' || sql FROM sqlite_schema
		WHERE type = 'index' AND tbl_name = 'users' AND sql IS NOT NULL ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
