package fieldpath_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/userport/userport/fieldpath"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"email", "user_metadata.consent.given", "identities[0].connection",
		"app_metadata.stripe[0].customer_id", "a[0][1]", "a..b", "x[", "x[-1]", "x[01]",
		"[0]", "a.", ".a", "x[2147483648]", "😀.é", "a]b", "a[0]b", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := fieldpath.Parse(s)
		if err != nil {
			if !p.IsZero() {
				t.Fatalf("Parse(%q) failed but returned a path", s)
			}
			return
		}
		if p.String() != s {
			t.Fatalf("Parse(%q).String() = %q", s, p.String())
		}
		q, err := fieldpath.Parse(p.String())
		if err != nil || !q.Equal(p) || !reflect.DeepEqual(q.Segments(), p.Segments()) {
			t.Fatalf("Parse(%q) does not round-trip: %v", s, err)
		}
		if p.Len() == 0 || p.Segment(0).IsIndex() {
			t.Fatalf("Parse(%q) must start with a key", s)
		}
		for _, seg := range p.Segments() {
			if !seg.IsIndex() && (seg.Key == "" || bytes.ContainsAny([]byte(seg.Key), ".[]")) {
				t.Fatalf("Parse(%q) gave a bad key %q", s, seg.Key)
			}
		}
	})
}

// FuzzLookup checks that Lookup and Resolve never panic, that they agree, and,
// for valid JSON objects without duplicate keys, that they agree with
// encoding/json.
func FuzzLookup(f *testing.F) {
	f.Add([]byte(lookupDoc), "identities[0].connection")
	f.Add([]byte(lookupDoc), "name")
	f.Add([]byte(lookupDoc), "matrix[1][1][0]")
	f.Add([]byte(`{"a":{"b":[1,{"c":"\ud83d\ude00"}]}}`), "a.b[1].c")
	f.Add([]byte(`{"a":[[],[[1]]]}`), "a[1][0][0]")
	f.Add([]byte(`{"a\"b":"\\"}`), `a"b`)
	f.Add([]byte(`{"a":1,"a":2}`), "a")
	f.Add([]byte(`{"a":[1,2`), "a[1]")
	f.Add([]byte(`{"a":"`), "a")
	f.Add([]byte(`{"a":-}`), "a")
	f.Add([]byte(`[{"a":1}]`), "a")
	f.Add([]byte(`{"\u00e9":true}`), "é")
	f.Fuzz(func(t *testing.T, doc []byte, path string) {
		p, err := fieldpath.Parse(path)
		if err != nil {
			return
		}
		raw, typ, ok := p.Lookup(doc)
		if ok != (typ != fieldpath.Absent) || (!ok && raw != nil) {
			t.Fatalf("Lookup = %q, %v, %v: inconsistent", raw, typ, ok)
		}
		checkResolve(t, doc, p, raw, typ)
		if want, known := reference(doc, p); known {
			checkReference(t, raw, typ, want)
		}
	})
}

// checkResolve resolves p together with related paths and compares with
// Lookup's answer.
func checkResolve(t *testing.T, doc []byte, p fieldpath.Path, raw []byte, typ fieldpath.ValueType) {
	r := fieldpath.NewResolver(fieldpath.MustParse(p.Root()), p, p, fieldpath.MustParse(p.Root()+".x"))
	out := make([]fieldpath.Value, r.Len())
	if err := r.Resolve(doc, out); err != nil {
		return // malformed: Lookup may still have found something before the error
	}
	for _, v := range out[1:3] {
		if !bytes.Equal(v.Raw, raw) || v.Type != typ {
			t.Fatalf("Resolve(%s) = %q, %v; Lookup = %q, %v", p, v.Raw, v.Type, raw, typ)
		}
	}
}

// found is what encoding/json finds at a path.
type found struct {
	v  any
	ok bool
}

// reference resolves p with encoding/json. known is false when the oracle
// cannot be trusted: invalid JSON or UTF-8, or duplicate keys (encoding/json
// keeps the last, Lookup the first).
func reference(doc []byte, p fieldpath.Path) (f found, known bool) {
	if !json.Valid(doc) || !utf8.Valid(doc) || hasDuplicateKeys(doc) {
		return found{}, false
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return found{}, false
	}
	if _, isObject := v.(map[string]any); !isObject {
		return found{}, true
	}
	for _, s := range p.Segments() {
		var ok bool
		if v, ok = child(v, s); !ok {
			return found{}, true
		}
	}
	return found{v, true}, true
}

func child(v any, s fieldpath.Segment) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		c, ok := x[s.Key]
		return c, ok && !s.IsIndex()
	case []any:
		if s.IsIndex() && s.Index < len(x) {
			return x[s.Index], true
		}
	}
	return nil, false
}

func checkReference(t *testing.T, raw []byte, typ fieldpath.ValueType, want found) {
	t.Helper()
	if !want.ok {
		if typ != fieldpath.Absent {
			t.Fatalf("Lookup = %q, %v; encoding/json finds nothing", raw, typ)
		}
		return
	}
	var got any
	text := raw
	if typ == fieldpath.String {
		text = append(append([]byte{'"'}, raw...), '"')
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	if err := dec.Decode(&got); err != nil || !reflect.DeepEqual(got, want.v) || typ != typeOf(want.v) {
		t.Fatalf("Lookup = %q, %v (%v); encoding/json finds %#v", raw, typ, err, want.v)
	}
}

func typeOf(v any) fieldpath.ValueType {
	switch v.(type) {
	case string:
		return fieldpath.String
	case json.Number:
		return fieldpath.Number
	case bool:
		return fieldpath.Bool
	case nil:
		return fieldpath.Null
	case map[string]any:
		return fieldpath.Object
	}
	return fieldpath.Array
}

// hasDuplicateKeys reports whether any object in doc (valid JSON) repeats a key.
func hasDuplicateKeys(doc []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dup, err := scanDuplicates(dec)
	return dup || (err != nil && !errors.Is(err, io.EOF))
}

func scanDuplicates(dec *json.Decoder) (bool, error) {
	tok, err := dec.Token()
	if err != nil {
		return false, err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil || seen[k.(string)] {
				return true, err
			}
			seen[k.(string)] = true
			if dup, err := scanDuplicates(dec); dup || err != nil {
				return dup, err
			}
		}
		_, err = dec.Token()
	case json.Delim('['):
		for dec.More() {
			if dup, err := scanDuplicates(dec); dup || err != nil {
				return dup, err
			}
		}
		_, err = dec.Token()
	}
	return false, err
}
