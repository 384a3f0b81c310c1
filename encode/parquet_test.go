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

func TestParquetRefusesColumnsOfOneName(t *testing.T) {
	for _, tt := range []struct {
		name        string
		fields      []userport.Field
		incremental bool
		want        string
	}{
		{"a name twice", []userport.Field{{Name: "email"}, {Name: "email"}}, false, `two columns are named "email"`},
		{"export_as of another field's name", []userport.Field{{Name: "email"}, {Name: "name", ExportAs: "email"}}, false, `two columns are named "email"`},
		{"deleted_at in an incremental file", []userport.Field{{Name: "user_id"}, {Name: "updated_at", ExportAs: "deleted_at"}}, true, `two columns are named "deleted_at"`},
		{"a malformed path", []userport.Field{{Name: "a..b"}}, false, "a..b"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := encode.Validate(userport.FormatParquet, tt.fields)
			if tt.incremental {
				if err != nil {
					t.Fatalf("Validate = %v; only the incremental file has deleted_at", err)
				}
				err = encode.ValidateIncremental(userport.FormatParquet, tt.fields)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestParquetWrongTypeIsInvalid: a value that does not fit its column's type
// (a damaged document: every write path keeps the schema) is an
// ErrInvalidDocument, writes nothing, and the encoder goes on.
func TestParquetWrongTypeIsInvalid(t *testing.T) {
	fields := []userport.Field{{Name: "user_id"}, {Name: "logins_count"}, {Name: "last_login"}, {Name: "blocked"}}
	for _, doc := range []string{
		`{"user_id":"a","logins_count":"12"}`,
		`{"user_id":"a","logins_count":1.5}`,
		`{"user_id":"a","logins_count":12345678901234567890}`,
		`{"user_id":"a","last_login":"=1+1"}`,
		`{"user_id":"a","last_login":"2021-02-30T00:00:00.000Z"}`,
		`{"user_id":"a","blocked":"yes"}`,
		`{"user_id":42}`,
		`{"user_id":"a"`,
	} {
		var out bytes.Buffer
		enc, err := encode.New(&out, userport.FormatParquet, fields)
		if err != nil {
			t.Fatal(err)
		}
		if err := enc.Encode([]byte(doc)); !errors.Is(err, encode.ErrInvalidDocument) {
			t.Errorf("Encode(%s) = %v, want ErrInvalidDocument", doc, err)
		}
		if err := enc.Encode([]byte(`{"user_id":"b","logins_count":3}`)); err != nil {
			t.Fatalf("Encode after an invalid document: %v", err)
		}
		if err := enc.Close(); err != nil {
			t.Fatal(err)
		}
		if got := string(dumpParquet(t, out.Bytes())); !strings.HasSuffix(got, "\n\"b\" \"3\" null null \n") || strings.Count(got, "\n\"") != 1 {
			t.Errorf("after Encode(%s), the file holds:\n%s\nwant only the user b", doc, got)
		}
	}
}

// TestParquetRowGroups: row groups end at the limit of rows or of bytes,
// whichever comes first, so that memory stays flat.
func TestParquetRowGroups(t *testing.T) {
	docs := make([][]byte, 4000)
	for i := range docs {
		docs[i] = fmt.Appendf(nil, `{"user_id":"auth0|%024d","user_metadata":{"note":"%0100d"}}`, i, i)
	}
	fields := []userport.Field{{Name: "user_id"}, {Name: "user_metadata.note"}}
	for _, tt := range []struct {
		name   string
		limits encode.ParquetLimits
		groups int
	}{
		{"rows", encode.ParquetLimits{Rows: 128}, 32}, // 31 of 128, one of 32
		{"bytes", encode.ParquetLimits{Bytes: 16 << 10}, 0},
		{"default", encode.ParquetLimits{}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			enc, err := encode.NewParquetLimits(&out, fields, tt.limits)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range docs {
				if err := enc.Encode(d); err != nil {
					t.Fatal(err)
				}
			}
			if err := enc.Close(); err != nil {
				t.Fatal(err)
			}
			f := readParquet(t, out.Bytes())
			groups := f.Metadata().RowGroups
			if f.NumRows() != int64(len(docs)) {
				t.Fatalf("%d rows, want %d", f.NumRows(), len(docs))
			}
			switch {
			case tt.groups > 0 && len(groups) != tt.groups:
				t.Errorf("%d row groups, want %d", len(groups), tt.groups)
			case tt.limits.Bytes > 0 && len(groups) < 10:
				// The encoder hands its writer 256 rows at a time (about 33 KB
				// here), and the size is checked after each.
				t.Errorf("%d row groups of about 540 KB of values in all, want one per 16 KiB or so", len(groups))
			}
			for _, g := range groups {
				if tt.limits.Rows > 0 && g.NumRows > tt.limits.Rows {
					t.Errorf("a row group of %d rows, above the limit %d", g.NumRows, tt.limits.Rows)
				}
			}
		})
	}
}

func TestParquetWriteErrorIsSticky(t *testing.T) {
	boom := errors.New("disk full")
	writes := 0
	w := writerFunc(func(p []byte) (int, error) { writes++; return 0, boom })
	enc, err := encode.NewParquetLimits(w, []userport.Field{{Name: "user_id"}, {Name: "user_metadata.note"}}, encode.ParquetLimits{Rows: 64})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for ; n < 10000 && err == nil; n++ {
		err = enc.Encode(bigDoc(n))
	}
	if !errors.Is(err, boom) {
		t.Fatalf("Encode never failed after %d users: %v", n, err)
	}
	if err := enc.Encode(bigDoc(0)); !errors.Is(err, boom) {
		t.Errorf("Encode after a write error = %v, want it again", err)
	}
	if err := enc.Close(); !errors.Is(err, boom) {
		t.Errorf("Close = %v, want the write error", err)
	}
	if err := enc.Encode(bigDoc(0)); !errors.Is(err, encode.ErrClosed) {
		t.Errorf("Encode after Close = %v, want ErrClosed", err)
	}
	if writes != 1 {
		t.Errorf("%d writes after the error, want 1", writes)
	}
}

func TestParquetTombstoneOnlyIncremental(t *testing.T) {
	enc, err := encode.New(io.Discard, userport.FormatParquet, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.EncodeTombstone(testTombstones[0]); !errors.Is(err, encode.ErrNotIncremental) {
		t.Errorf("EncodeTombstone of a full export's encoder = %v, want ErrNotIncremental", err)
	}
}
