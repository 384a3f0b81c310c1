package jsonstrict_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/userport/userport/jsonstrict"
)

func TestCheck(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	tests := []struct {
		name, data string
		want       error
	}{
		{"object", `{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}`, nil},
		{"scalar", `"x"`, nil},
		{"key equal to a value", `{"a":"b","b":"a"}`, nil},
		{"many keys", `{` + manyKeys(100, "") + `}`, nil},
		{"duplicate key", `{"a":1,"b":2,"a":3}`, &jsonstrict.DuplicateKeyError{Path: "a"}},
		{"duplicate key, escaped", `{"a":1,"\u0061":2}`, &jsonstrict.DuplicateKeyError{Path: "a"}},
		{"duplicate empty key", `{"":1,"":2}`, &jsonstrict.DuplicateKeyError{Path: ""}},
		{"duplicate among many keys", `{` + manyKeys(100, `,"k50":0`) + `}`, &jsonstrict.DuplicateKeyError{Path: "k50"}},
		{"duplicate nested key", `{"m":{"x":{"y":1,"y":2}}}`, &jsonstrict.DuplicateKeyError{Path: "m.x.y"}},
		{"duplicate key in an array", `{"f":[1,{"n":1},{"n":1,"n":2}]}`, &jsonstrict.DuplicateKeyError{Path: "f[2].n"}},
		{"duplicate key in top-level arrays", `[[{"k":1,"k":1}]]`, &jsonstrict.DuplicateKeyError{Path: "[0][0].k"}},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", jsonstrict.ErrInvalidUTF8},
		{"UTF-16 surrogate encoded raw", "{\"a\":\"\xed\xa0\x80\"}", jsonstrict.ErrInvalidUTF8},
		{"MaxDepth deep", deep(jsonstrict.MaxDepth), nil},
		{"MaxDepth+1 deep", deep(jsonstrict.MaxDepth + 1), jsonstrict.ErrTooDeep},
		{"1000 deep (SQLite's limit)", deep(1000), jsonstrict.ErrTooDeep},
		{"10001 deep", deep(10001), jsonstrict.ErrTooDeep},
		{"1000000 deep", deep(1000000), jsonstrict.ErrTooDeep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := jsonstrict.Check([]byte(tt.data))
			var dup, wantDup *jsonstrict.DuplicateKeyError
			switch {
			case errors.As(tt.want, &wantDup):
				if !errors.As(err, &dup) || dup.Path != wantDup.Path {
					t.Errorf("Check = %v, want %v", err, tt.want)
				}
			case !errors.Is(err, tt.want):
				t.Errorf("Check = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestTooDeep(t *testing.T) {
	deep := func(n int) string { return strings.Repeat(`{"a":[`, n/2) + strings.Repeat(`]}`, n/2) }
	tests := []struct {
		name, data string
		want       bool
	}{
		{"flat", `{"a":1}`, false},
		{"MaxDepth deep", deep(jsonstrict.MaxDepth), false},
		{"MaxDepth+2 deep", deep(jsonstrict.MaxDepth + 2), true},
		{"brackets in strings do not count", `["` + strings.Repeat("[", 1000) + `"]`, false},
		{"escaped quote", `["\"` + strings.Repeat("[", 1000) + `"]`, false},
		{"not closed", strings.Repeat("[", jsonstrict.MaxDepth+1), true},
		{"unterminated string", `["` + strings.Repeat("[", 1000), false},
		{"8 MiB of brackets", strings.Repeat("[", 8<<20), true},
	}
	for _, tt := range tests {
		if got := jsonstrict.TooDeep([]byte(tt.data)); got != tt.want {
			t.Errorf("%s: TooDeep = %v, want %v", tt.name, got, tt.want)
		}
		if tt.want != errors.Is(jsonstrict.Check([]byte(tt.data)), jsonstrict.ErrTooDeep) && json.Valid([]byte(tt.data)) {
			t.Errorf("%s: TooDeep and Check disagree", tt.name)
		}
	}
}

// manyKeys returns n members "k0":0 ... then extra.
func manyKeys(n int, extra string) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k` + strconv.Itoa(i) + `":0`)
	}
	return b.String() + extra
}

// FuzzCheck checks that Check never panics, whatever the bytes, and that
// on a valid text it finds a duplicate key exactly when a decoder-based
// walk does.
func FuzzCheck(f *testing.F) {
	for _, seed := range []string{`{"a":1}`, `{"a":1,"a":2}`, `[{"b":[{"c":1,"c":2}]}]`, "\"\xff\"", `}`, `,`, `"\`,
		`{"\u0061":1,"a":2}`, `{"a":{"a":1},"b":[{"a":1}]}`, `{"x":"\",\"x\":"}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := jsonstrict.Check(data)
		if !json.Valid(data) || !utf8.Valid(data) {
			return
		}
		var dup *jsonstrict.DuplicateKeyError
		if got, want := errors.As(err, &dup), hasDuplicate(t, data); got != want {
			t.Fatalf("Check(%q) = %v; a decoder walk finds a duplicate: %v", data, err, want)
		}
	})
}

// hasDuplicate walks data's tokens with encoding/json and reports whether
// an object has a key twice.
func hasDuplicate(t *testing.T, data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // a valid number too large for a float64 is no error
	type obj struct {
		keys    map[string]bool
		wantKey bool
	}
	var open []*obj // nil entries are arrays
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return false
		} else if err != nil {
			t.Fatal(err)
		}
		var top *obj
		if len(open) > 0 {
			top = open[len(open)-1]
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			open = open[:len(open)-1]
			if len(open) > 0 && open[len(open)-1] != nil {
				open[len(open)-1].wantKey = true
			}
			continue
		}
		if top != nil && top.wantKey {
			k := tok.(string)
			if top.keys[k] {
				return true
			}
			top.keys[k], top.wantKey = true, false
			continue
		}
		if top != nil {
			top.wantKey = true
		}
		switch tok {
		case json.Delim('{'):
			open = append(open, &obj{keys: map[string]bool{}, wantKey: true})
		case json.Delim('['):
			open = append(open, nil)
		}
	}
}
