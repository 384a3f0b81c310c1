package postgres_test

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/userport/userport"
	"github.com/userport/userport/postgres"
)

// userIndexes returns the users table's indexes in the store's schema,
// name and definition (pg_indexes), for the bulk load cases of storetest.
func userIndexes(t *testing.T, s userport.Store) []string {
	t.Helper()
	rows, err := s.(*postgres.DB).Pool().Query(t.Context(), `SELECT indexname || ': ' || indexdef FROM pg_indexes
		WHERE schemaname = current_schema() AND tablename = 'users' ORDER BY indexname`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}
