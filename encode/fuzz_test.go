package encode_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/encode"
	"github.com/userport/userport/fieldpath"
)

// FuzzEncode checks that no document makes an encoder panic, and that a valid
// JSON object always gives valid output: one CSV record with one cell per
// field, one JSON object per NDJSON line.
func FuzzEncode(f *testing.F) {
	for _, d := range testUsers(f) {
		f.Add(d, "user_metadata.note")
	}
	f.Add([]byte(`{"a":"x\"y\\z\u2028\ud800","b":[{"c":1e5}]}`), "b[0].c")
	f.Add([]byte("{\"a\":\n{\"b\":\"\\r\\n\"}}"), "a")
	f.Add([]byte(`{"a":01}`), "a")
	f.Fuzz(func(t *testing.T, doc []byte, path string) {
		if _, err := fieldpath.Parse(path); err != nil {
			return
		}
		fields := []userport.Field{{Name: path}, {Name: "user_id"}, {Name: path, ExportAs: "again"}, {Name: "created_at"}}
		valid := json.Valid(doc) && bytes.HasPrefix(bytes.TrimLeft(doc, " \t\r\n"), []byte("{"))
		checkCSV(t, doc, fields, valid)
		checkNDJSON(t, doc, fields, valid)
		checkNDJSON(t, doc, nil, valid)
	})
}

func checkCSV(t *testing.T, doc []byte, fields []userport.Field, valid bool) {
	var out bytes.Buffer
	c, err := encode.NewCSV(&out, fields)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Encode(doc)
	if valid && err != nil {
		t.Fatalf("CSV: Encode(%s): %v", doc, err)
	}
	if err != nil && !errors.Is(err, encode.ErrInvalidDocument) {
		t.Fatalf("CSV: Encode(%s): unexpected error %v", doc, err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if !valid {
		return
	}
	r := csv.NewReader(&out)
	r.FieldsPerRecord = len(fields)
	records, err := r.ReadAll()
	if err != nil || len(records) != 2 {
		t.Fatalf("CSV output of %s is not a header and one row (%v):\n%s", doc, err, out.Bytes())
	}
}

func checkNDJSON(t *testing.T, doc []byte, fields []userport.Field, valid bool) {
	var out bytes.Buffer
	n, err := encode.NewNDJSON(&out, fields)
	if err != nil {
		return // the fuzzed path collides with user_id or created_at
	}
	err = n.Encode(doc)
	if valid && err != nil {
		t.Fatalf("NDJSON: Encode(%s): %v", doc, err)
	}
	if err != nil && !errors.Is(err, encode.ErrInvalidDocument) {
		t.Fatalf("NDJSON: Encode(%s): unexpected error %v", doc, err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if !valid {
		return
	}
	line, err := out.ReadBytes('\n')
	if err != nil || out.Len() != 0 || bytes.ContainsAny(line[:len(line)-1], "\r\n") {
		t.Fatalf("NDJSON output of %s is not one line: %q", doc, line)
	}
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&obj); err != nil {
		t.Fatalf("NDJSON line of %s is not a JSON object (%v): %s", doc, err, line)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("NDJSON line of %s has more than one value: %s", doc, line)
	}
}
