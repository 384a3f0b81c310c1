package encode_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/userport/userport"
	"github.com/userport/userport/encode"
	"github.com/userport/userport/internal/duckdbtest"
)

// parquetUsers are testdata's users as a store keeps them: the third
// user's last_login and logins_count, which no write path would store
// (a formula, a number beyond int64), made a date in another RFC 3339
// spelling and an integer.
func parquetUsers(t testing.TB) [][]byte {
	users := testUsers(t)
	fixed := bytes.Replace(users[2], []byte(`"=1+1"`), []byte(`"2019-05-06T09:08:09.5+02:00"`), 1)
	users[2] = bytes.Replace(fixed, []byte(`12345678901234567890`), []byte(`9223372036854775807`), 1)
	return users
}

// customTypes are the DuckDB types of customFields' columns: Auth0's
// profile schema types the root attributes and an identity's keys; paths
// into metadata (any JSON value) are JSON.
var customTypes = []string{
	duckdbtest.Varchar, duckdbtest.Varchar, duckdbtest.Varchar, duckdbtest.Varchar, duckdbtest.Varchar,
	duckdbtest.Varchar, duckdbtest.Varchar, // user_id .. username
	duckdbtest.JSON, duckdbtest.JSON, duckdbtest.JSON, duckdbtest.JSON, duckdbtest.JSON, duckdbtest.JSON, // user_metadata.*
	duckdbtest.JSON, duckdbtest.JSON, duckdbtest.JSON, // app_metadata.*
	duckdbtest.Varchar, duckdbtest.Varchar, duckdbtest.Varchar, // identities[n].*
	duckdbtest.TimestampTZ, duckdbtest.TimestampTZ, duckdbtest.Bigint, duckdbtest.Boolean, duckdbtest.Boolean,
	duckdbtest.JSON, // does.not.exist
}

// defaultTypes are the DuckDB types of encode.DefaultCSVFields' columns.
var defaultTypes = []string{
	duckdbtest.Varchar, duckdbtest.Varchar, duckdbtest.Boolean, duckdbtest.Varchar, duckdbtest.Varchar, duckdbtest.Boolean,
	duckdbtest.Varchar, duckdbtest.Varchar, duckdbtest.Varchar, duckdbtest.Varchar, duckdbtest.Varchar, duckdbtest.Varchar,
	duckdbtest.TimestampTZ, duckdbtest.TimestampTZ, duckdbtest.TimestampTZ, duckdbtest.Varchar, duckdbtest.Bigint, duckdbtest.Boolean,
}

// writeTemp writes data to a file of the test's own and returns its path.
func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestParquetDuckDB has DuckDB, an independent reader, read Parquet files
// of the test users: every column, its type, and every value equal the
// NDJSON export of the same users (every root attribute), nested paths,
// dates and nulls included.
func TestParquetDuckDB(t *testing.T) {
	users := parquetUsers(t)
	for _, tt := range []struct {
		name   string
		fields []userport.Field
		types  []string
	}{
		{"custom", customFields, customTypes},
		{"default", encode.DefaultCSVFields(), defaultTypes},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := writeTemp(t, "users.parquet", encodeAll(t, userport.FormatParquet, tt.fields, users))
			tab := duckdbtest.Read(t, file)
			profiles := bytes.Split(bytes.TrimSuffix(encodeAll(t, userport.FormatJSON, nil, users), []byte("\n")), []byte("\n"))
			duckdbtest.EqualNDJSON(t, tab, tt.fields, tt.types, profiles)
			for _, c := range tab.Chunks {
				if c.Compression != "ZSTD" || c.Nulls == nil {
					t.Fatalf("column chunk %+v: want ZSTD and statistics", c)
				}
			}
		})
	}
}

// TestParquetIncrementalDuckDB reads an incremental export's file with
// DuckDB: the users as a full export has them with a null deleted_at, then
// a row per tombstone with its user_id and deleted_at, every other column
// null.
func TestParquetIncrementalDuckDB(t *testing.T) {
	users := parquetUsers(t)
	fields := []userport.Field{{Name: "email"}, {Name: "user_id"}, {Name: "created_at"}, {Name: "user_id", ExportAs: "id"}}
	file := writeTemp(t, "incremental.parquet", encodeIncremental(t, userport.FormatParquet, fields, users, testTombstones))
	tab := duckdbtest.Read(t, file)
	if n := len(tab.Columns); n != len(fields)+1 || tab.Columns[n-1] != (duckdbtest.Column{Name: "deleted_at", Type: duckdbtest.TimestampTZ}) {
		t.Fatalf("columns %+v: want the fields' and a last deleted_at timestamp", tab.Columns)
	}
	live, tombs := &duckdbtest.Table{Columns: tab.Columns[:len(fields)]}, tab.Rows[len(users):]
	for _, row := range tab.Rows[:len(users)] {
		if row[len(fields)] != nil {
			t.Fatalf("a user's deleted_at is %v, want null", row[len(fields)])
		}
		live.Rows = append(live.Rows, row[:len(fields)])
	}
	profiles := bytes.Split(bytes.TrimSuffix(encodeAll(t, userport.FormatJSON, nil, users), []byte("\n")), []byte("\n"))
	types := []string{duckdbtest.Varchar, duckdbtest.Varchar, duckdbtest.TimestampTZ, duckdbtest.Varchar}
	duckdbtest.EqualNDJSON(t, live, fields, types, profiles)
	if len(tombs) != len(testTombstones) {
		t.Fatalf("%d tombstone rows, want %d", len(tombs), len(testTombstones))
	}
	for i, ts := range testTombstones {
		want := []any{nil, ts.UserID, nil, ts.UserID, fmt.Sprint(ts.DeletedAt.UnixMilli())}
		if fmt.Sprint(tombs[i]) != fmt.Sprint(want) {
			t.Errorf("tombstone row %d = %v, want %v", i, tombs[i], want)
		}
	}
}

// readParquet opens a Parquet file with parquet-go's reader.
func readParquet(t testing.TB, data []byte) *parquet.File {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("the file does not open as Parquet: %v", err)
	}
	return f
}

// TestGoldenParquet compares the schema and the rows of Parquet files, as
// parquet-go reads them back, with golden dumps (the bytes themselves
// depend on the library's version).
func TestGoldenParquet(t *testing.T) {
	users := parquetUsers(t)
	for _, tt := range []struct {
		file   string
		fields []userport.Field
		docs   [][]byte
		tombs  []userport.Tombstone
	}{
		{"custom.parquet.txt", customFields, users, nil},
		{"default.parquet.txt", nil, users, nil},
		{"empty.parquet.txt", customFields, nil, nil},
		{"incremental.parquet.txt", []userport.Field{{Name: "user_id"}, {Name: "logins_count"}}, users, testTombstones},
	} {
		t.Run(tt.file, func(t *testing.T) {
			var data []byte
			if tt.tombs != nil {
				data = encodeIncremental(t, userport.FormatParquet, tt.fields, tt.docs, tt.tombs)
			} else {
				data = encodeAll(t, userport.FormatParquet, tt.fields, tt.docs)
			}
			golden(t, tt.file, dumpParquet(t, data))
		})
	}
}

// dumpParquet prints a Parquet file's schema, its column chunks' codecs and
// page encodings, and its rows.
func dumpParquet(t testing.TB, data []byte) []byte {
	t.Helper()
	f := readParquet(t, data)
	var b strings.Builder
	b.WriteString(f.Schema().String() + "\n")
	for _, rg := range f.Metadata().RowGroups {
		for _, c := range rg.Columns {
			fmt.Fprintf(&b, "%s: %s %v\n", strings.Join(c.MetaData.PathInSchema, "."), c.MetaData.Codec, c.MetaData.Encoding)
		}
	}
	rows := make([]parquet.Row, f.NumRows())
	r := parquet.NewReader(f)
	if n, err := r.ReadRows(rows); n != len(rows) || (err != nil && !errors.Is(err, io.EOF)) {
		t.Fatalf("read %d rows of %d: %v", n, len(rows), err)
	}
	for _, row := range rows {
		for _, v := range row {
			if v.IsNull() {
				b.WriteString("null ")
			} else {
				fmt.Fprintf(&b, "%q ", v.String())
			}
		}
		b.WriteString("\n")
	}
	return []byte(b.String())
}
