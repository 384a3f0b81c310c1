package duckdbtest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/fieldpath"
)

// DuckDB's names of the types a Parquet export's columns have.
const (
	Varchar     = "VARCHAR"
	Boolean     = "BOOLEAN"
	Bigint      = "BIGINT"
	TimestampTZ = "TIMESTAMP WITH TIME ZONE"
	JSON        = "JSON"
)

// EqualNDJSON checks that tab, read from a Parquet export of fields, holds
// the users of profiles (the lines of an NDJSON export of every root
// attribute, in the same order), field by field: column i is named by
// field i's export_as or name and has DuckDB type types[i], and each value
// is the one at the field's path in the profile (a string unescaped, a date
// as its instant in milliseconds, an object, array or untyped value as its
// JSON text), null where the profile has none or null.
func EqualNDJSON(t testing.TB, tab *Table, fields []userport.Field, types []string, profiles [][]byte) {
	t.Helper()
	if len(tab.Columns) != len(fields) {
		t.Fatalf("DuckDB read %d columns %v, want %d", len(tab.Columns), tab.Columns, len(fields))
	}
	for i, f := range fields {
		want := Column{Name: f.ExportAs, Type: types[i]}
		if want.Name == "" {
			want.Name = f.Name
		}
		if tab.Columns[i] != want {
			t.Fatalf("column %d is %+v, want %+v", i, tab.Columns[i], want)
		}
	}
	if len(tab.Rows) != len(profiles) {
		t.Fatalf("DuckDB read %d rows, the NDJSON export has %d", len(tab.Rows), len(profiles))
	}
	paths := make([]fieldpath.Path, len(fields))
	for i, f := range fields {
		paths[i] = fieldpath.MustParse(f.Name)
	}
	for r, doc := range profiles {
		for c, p := range paths {
			raw, typ, _ := p.Lookup(doc)
			if !Equal(tab.Rows[r][c], types[c], raw, typ) {
				t.Fatalf("row %d, column %q (%s): DuckDB read %#v; the NDJSON export has %s %s",
					r, tab.Columns[c].Name, types[c], tab.Rows[r][c], typ, raw)
			}
		}
	}
}

// Equal reports whether got, a value DuckDB read from a column of DuckDB
// type typ, is the JSON value raw of type vt (as fieldpath resolves it).
func Equal(got any, typ string, raw []byte, vt fieldpath.ValueType) bool {
	if vt == fieldpath.Absent || vt == fieldpath.Null {
		return got == nil
	}
	if vt == fieldpath.String {
		raw = append(append([]byte{'"'}, raw...), '"')
	}
	switch typ {
	case Varchar, Boolean:
		var want any
		return vt != fieldpath.Number && json.Unmarshal(raw, &want) == nil && got == want
	case Bigint:
		return vt == fieldpath.Number && got == string(raw)
	case TimestampTZ:
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return false
		}
		tm, err := time.Parse(time.RFC3339Nano, s)
		return err == nil && got == strconv.FormatInt(tm.UnixMilli(), 10)
	case JSON:
		text, ok := got.(string)
		return ok && sameJSON([]byte(text), raw)
	}
	return false
}

// sameJSON reports whether a and b are the same JSON value.
func sameJSON(a, b []byte) bool {
	va, errA := decode(a)
	vb, errB := decode(b)
	return errA == nil && errB == nil && reflect.DeepEqual(va, vb)
}

func decode(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}
