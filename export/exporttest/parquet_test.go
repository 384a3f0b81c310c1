package exporttest_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/encode"
	"github.com/userport/userport/export"
	"github.com/userport/userport/internal/duckdbtest"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/seed"
)

// parquetUsers is how many seeded users TestParquetExportEqualsNDJSON
// exports (USERPORT_TEST_PARQUET_USERS; the acceptance run takes 100,000).
func parquetUsers(t *testing.T) int {
	n := 20_000
	if s := os.Getenv("USERPORT_TEST_PARQUET_USERS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			t.Fatalf("USERPORT_TEST_PARQUET_USERS=%q: want a number of users", s)
		}
	}
	return n
}

// TestParquetExportEqualsNDJSON exports seeded users of a real store twice,
// as Parquet (the default fields, and fields of every kind: nested paths,
// indexes, whole objects, export_as) and as NDJSON (every root attribute),
// and has DuckDB read the Parquet file: its rows, types and values equal
// the NDJSON export's, field by field.
func TestParquetExportEqualsNDJSON(t *testing.T) {
	t.Parallel()
	db := testutil.OpenSQLite(t)
	conn := &userport.Connection{Tenant: tenant, ID: connUPA, Name: "Username-Password-Authentication", Strategy: "auth0"}
	if err := db.CreateConnection(context.Background(), conn); err != nil {
		t.Fatal(err)
	}
	n := parquetUsers(t)
	g := seed.New(7, tenant, conn, time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC))
	if err := seed.Write(context.Background(), db, g, n, nil); err != nil {
		t.Fatal(err)
	}
	profiles := exportFile(t, db, &userport.Job{Tenant: tenant, Format: userport.FormatJSON})
	lines := bytes.Split(bytes.TrimSuffix(testutil.Gunzip(t, profiles), []byte("\n")), []byte("\n"))
	if len(lines) != n {
		t.Fatalf("the NDJSON export has %d users, want %d", len(lines), n)
	}
	nested := []userport.Field{
		{Name: "user_id"}, {Name: "last_password_reset"}, {Name: "user_metadata"},
		{Name: "user_metadata.consent.given"}, {Name: "user_metadata.address.city", ExportAs: "city"},
		{Name: "user_metadata.hobbies[0]"}, {Name: "app_metadata.plan"}, {Name: "app_metadata.stripe[0].seats"},
		{Name: "identities"}, {Name: "identities[0]"}, {Name: "identities[0].isSocial"}, {Name: "identities[0].provider"},
	}
	nestedTypes := []string{duckdbtest.Varchar, duckdbtest.TimestampTZ, duckdbtest.JSON, duckdbtest.JSON, duckdbtest.JSON,
		duckdbtest.JSON, duckdbtest.JSON, duckdbtest.JSON, duckdbtest.JSON, duckdbtest.JSON, duckdbtest.Boolean, duckdbtest.Varchar}
	for _, tt := range []struct {
		name   string
		fields []userport.Field
		types  []string
	}{
		{"default fields", encode.DefaultCSVFields(), []string{
			duckdbtest.Varchar, duckdbtest.Varchar, duckdbtest.Boolean, duckdbtest.Varchar, duckdbtest.Varchar, duckdbtest.Boolean,
			duckdbtest.Varchar, duckdbtest.Varchar, duckdbtest.Varchar, duckdbtest.Varchar, duckdbtest.Varchar, duckdbtest.Varchar,
			duckdbtest.TimestampTZ, duckdbtest.TimestampTZ, duckdbtest.TimestampTZ, duckdbtest.Varchar, duckdbtest.Bigint, duckdbtest.Boolean}},
		{"nested fields", nested, nestedTypes},
	} {
		t.Run(tt.name, func(t *testing.T) {
			job := &userport.Job{Tenant: tenant, Format: userport.FormatParquet, Fields: tt.fields}
			path := filepath.Join(t.TempDir(), "dev.parquet")
			if err := os.WriteFile(path, exportFile(t, db, job), 0o644); err != nil {
				t.Fatal(err)
			}
			duckdbtest.EqualNDJSON(t, duckdbtest.Read(t, path), tt.fields, tt.types, lines)
		})
	}
}

// exportFile runs job over st and returns the file.
func exportFile(t testing.TB, st export.Store, job *userport.Job) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := (&export.Exporter{Users: st}).Export(context.Background(), job, &buf, nil); err != nil {
		t.Fatalf("export %+v: %v", job, err)
	}
	return buf.Bytes()
}

// TestParquetIncrementalExport runs an incremental Parquet export on a real
// store after users were changed and deleted: DuckDB reads the changed users
// with a null deleted_at, as the incremental NDJSON export has them, then a
// row per deleted user with its user_id and deleted_at, every other column
// null.
func TestParquetIncrementalExport(t *testing.T) {
	t.Parallel()
	db := testutil.OpenSQLite(t)
	conn := &userport.Connection{Tenant: tenant, ID: connUPA, Name: "Username-Password-Authentication", Strategy: "auth0"}
	if err := db.CreateConnection(context.Background(), conn); err != nil {
		t.Fatal(err)
	}
	g := seed.New(9, tenant, conn, time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC))
	users := make([]*userport.User, 300)
	g.Fill(users)
	if err := db.CreateUsers(context.Background(), users...); err != nil {
		t.Fatal(err)
	}
	since, err := db.Watermark(context.Background(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	fresh := make([]*userport.User, 20)
	g.Fill(fresh)
	if err := db.CreateUsers(context.Background(), fresh...); err != nil {
		t.Fatal(err)
	}
	deleted := map[string]bool{}
	for _, u := range users[:5] {
		if err := db.DeleteUser(context.Background(), tenant, u.UserID); err != nil {
			t.Fatal(err)
		}
		deleted[u.UserID] = true
	}
	fields := []userport.Field{{Name: "user_id"}, {Name: "email"}, {Name: "created_at"}, {Name: "app_metadata.plan"}}
	_, ndjson, _, _ := incremental(t, db, userport.Job{Format: userport.FormatJSON}, since)
	var profiles [][]byte
	for _, l := range ndjson {
		if !strings.Contains(l, `"deleted_at"`) {
			profiles = append(profiles, []byte(l))
		}
	}
	w, err := db.Watermark(context.Background(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	job := &userport.Job{Tenant: tenant, Format: userport.FormatParquet, Fields: fields, ChangesSince: "cursor", Since: since.Low, Mark: w}
	path := filepath.Join(t.TempDir(), "changes.parquet")
	if err := os.WriteFile(path, exportFile(t, db, job), 0o644); err != nil {
		t.Fatal(err)
	}
	tab := duckdbtest.Read(t, path)
	if len(tab.Rows) != len(fresh)+len(deleted) || len(profiles) != len(fresh) {
		t.Fatalf("DuckDB read %d rows, the NDJSON export has %d users; want %d users and %d tombstones",
			len(tab.Rows), len(profiles), len(fresh), len(deleted))
	}
	live := &duckdbtest.Table{Columns: tab.Columns[:len(fields)]}
	for _, row := range tab.Rows[:len(fresh)] {
		if row[len(fields)] != nil {
			t.Fatalf("a changed user's deleted_at is %v, want null", row[len(fields)])
		}
		live.Rows = append(live.Rows, row[:len(fields)])
	}
	duckdbtest.EqualNDJSON(t, live, fields, []string{duckdbtest.Varchar, duckdbtest.Varchar, duckdbtest.TimestampTZ, duckdbtest.JSON}, profiles)
	for _, row := range tab.Rows[len(fresh):] {
		id, _ := row[0].(string)
		if !deleted[id] || row[1] != nil || row[2] != nil || row[3] != nil || row[4] == nil {
			t.Errorf("tombstone row %v: want a deleted user's id, nulls, and its deleted_at", row)
		}
	}
}
