package encode_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

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

// FuzzRoundTrip encodes a document with each encoder and reads the output
// back with the standard library: every CSV cell read by encoding/csv is the
// value encoding/json finds at the field's path, written by Auth0's cell
// rules, and every NDJSON line decodes to the document's values.
func FuzzRoundTrip(f *testing.F) {
	for _, d := range testUsers(f) {
		f.Add(d, "user_metadata.note")
		f.Add(d, "identities[0].connection")
		f.Add(d, "created_at")
	}
	f.Add([]byte(`{"a":"x\"y\\z\u2028é, \"q\"\r\n=1+1","b":[{"c":1e5}]}`), "a")
	f.Add([]byte(`{"created_at":"2017-11-02T23:34:03.803Z","a":{"b":null}}`), "created_at")
	f.Add([]byte(`{"created_at":"1,2","a":{"b":[true,false]}}`), "a.b")
	f.Fuzz(func(t *testing.T, doc []byte, path string) {
		p, err := fieldpath.Parse(path)
		if err != nil || !storable(doc) {
			return
		}
		fields := []userport.Field{{Name: path}, {Name: "user_id"}, {Name: path, ExportAs: "again"}}
		var out bytes.Buffer
		c, err := encode.NewCSV(&out, fields)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Encode(doc); err != nil {
			t.Fatalf("CSV: Encode(%s): %v", doc, err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		records := readCSV(t, out.Bytes())
		if len(records) != 2 {
			t.Fatalf("CSV output of %s is not a header and one row:\n%s", doc, out.Bytes())
		}
		for i, f := range fields {
			if want, got := expectedCell(t, doc, f.Name), records[1][i]; !sameCell(got, want, isDateField(f.Name)) {
				t.Errorf("CSV cell %s of %s = %q, want %q", f.Name, doc, got, want)
			}
		}

		out.Reset()
		n := encode.NewNDJSONAll(&out)
		if err := n.Encode(doc); err != nil {
			t.Fatalf("NDJSON: Encode(%s): %v", doc, err)
		}
		if err := n.Close(); err != nil {
			t.Fatal(err)
		}
		if got, want := readNDJSON(t, out.Bytes()), decode(t, doc); len(got) != 1 || !reflect.DeepEqual(got[0], want) {
			t.Fatalf("NDJSON of %s = %s, want the document", doc, out.Bytes())
		}

		if strings.Contains(path, "[") {
			return // indexes are compacted: TestNDJSONArrays
		}
		out.Reset()
		if n, err = encode.NewNDJSON(&out, fields[:1]); err != nil {
			t.Fatal(err)
		}
		if err := n.Encode(doc); err != nil {
			t.Fatalf("NDJSON %s: Encode(%s): %v", path, doc, err)
		}
		if err := n.Close(); err != nil {
			t.Fatal(err)
		}
		want, wantOK := decodedAt(t, doc, p)
		got, gotOK := decodedAt(t, bytes.TrimSuffix(out.Bytes(), []byte("\n")), p)
		if gotOK != wantOK || !reflect.DeepEqual(got, want) {
			t.Errorf("NDJSON %s of %s = %s, want %v (%v)", path, doc, out.Bytes(), want, wantOK)
		}
	})
}

// storable reports whether doc is what the store keeps: a JSON object, valid
// UTF-8, with no key twice in any object.
func storable(doc []byte) bool {
	if !utf8.Valid(doc) || !json.Valid(doc) || !bytes.HasPrefix(bytes.TrimLeft(doc, " \t\r\n"), []byte("{")) {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	type frame struct {
		object bool
		keys   map[string]bool
		key    bool // the next string token is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return true
		} else if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch tok := tok.(type) {
		case json.Delim:
			switch tok {
			case '{', '[':
				if top != nil && top.object {
					top.key = true
				}
				stack = append(stack, &frame{object: tok == '{', keys: map[string]bool{}, key: tok == '{'})
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if top != nil && top.object && top.key {
				if top.keys[tok] {
					return false
				}
				top.keys[tok], top.key = true, false
				continue
			}
			if top != nil && top.object {
				top.key = true
			}
		default:
			if top != nil && top.object {
				top.key = true
			}
		}
	}
}

// sameCell compares a cell read back with the one expected: objects and
// arrays as JSON, and a system date either bare or quoted (a date with JSON
// escapes in the document is quoted, as any string).
func sameCell(got, want string, date bool) bool {
	if strings.HasPrefix(want, "'[") || strings.HasPrefix(want, "'{") {
		return strings.HasPrefix(got, "'") && sameJSON(got[1:], want[1:])
	}
	if date && !strings.HasPrefix(want, "'") && got == "'"+want {
		return true
	}
	return got == want
}
