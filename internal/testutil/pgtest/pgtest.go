// Package pgtest gives tests a PostgreSQL schema of their own, in the database
// USERPORT_TEST_DATABASE_URL names (a package of its own, so that tests that
// need no database do not build its driver).
package pgtest

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/userport/userport"
	"github.com/userport/userport/postgres"
)

// DatabaseURLEnv names the PostgreSQL database the tests use.
const DatabaseURLEnv = "USERPORT_TEST_DATABASE_URL"

// DatabaseURL returns the PostgreSQL database the tests use, or skips t.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv(DatabaseURLEnv)
	if url == "" {
		t.Skip(DatabaseURLEnv + " is unset: set it to a PostgreSQL URL (e.g. postgres://root@127.0.0.1:5432/test?sslmode=disable, as .ci/run does) to run the PostgreSQL tests")
	}
	return url
}

// NewSchema creates an empty schema of its own for t in the test database,
// dropped when t ends, so that tests running at once, and CI runs, never
// share tables.
func NewSchema(t testing.TB) (url, schema string) {
	t.Helper()
	url = DatabaseURL(t)
	schema = "test_" + strings.ToLower(userport.RandomString(12))
	Exec(t, url, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize())
	t.Cleanup(func() { Exec(t, url, `DROP SCHEMA `+pgx.Identifier{schema}.Sanitize()+` CASCADE`) })
	return url, schema
}

// Exec runs one statement on a connection of its own to url.
func Exec(t testing.TB, url, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// Open opens the PostgreSQL store in a new schema of its own (NewSchema),
// closed when t ends; it skips t without a test database.
func Open(t testing.TB) *postgres.DB {
	t.Helper()
	url, schema := NewSchema(t)
	db, err := postgres.Open(context.Background(), url, postgres.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
