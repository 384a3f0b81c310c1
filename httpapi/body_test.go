package httpapi

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/userport/userport"
	"github.com/userport/userport/jsonstrict"
)

func TestJSONProblem(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"object", `{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}`, ""},
		{"same key in sibling objects", `[{"a":1},{"a":1}]`, ""},
		{"scalar", `"x"`, ""},
		{"not JSON", `{"a":`, "Invalid JSON"},
		{"two values", `{} {}`, "Invalid JSON"},
		{"duplicate key", `{"a":1,"b":2,"a":3}`, "Duplicate property: a"},
		{"duplicate key, escaped", `{"a":1,"\u0061":2}`, "Duplicate property: a"},
		{"duplicate null key", `{"a":null,"a":null}`, "Duplicate property: a"},
		{"duplicate nested key", `{"m":{"x":{"y":1,"y":2}}}`, "Duplicate property: m.x.y"},
		{"duplicate key in an array", `{"f":[1,{"n":1},{"n":1,"n":2}]}`, "Duplicate property: f[2].n"},
		{"duplicate key in a top-level array", `[[{"k":1,"k":1}]]`, "Duplicate property: [0][0].k"},
		{"key equal to a value", `{"a":"b","b":"a"}`, ""},
		{"long duplicate key", `{"` + strings.Repeat("é", 100) + `":1,"` + strings.Repeat("é", 100) + `":2}`,
			"Duplicate property: " + strings.Repeat("é", 32) + "…"},
		{"invalid UTF-8 in a value", "{\"a\":\"\xff\"}", "Invalid JSON: the body is not valid UTF-8"},
		{"invalid UTF-8 in a key", "{\"\xc3\x28\":1}", "Invalid JSON: the body is not valid UTF-8"},
		{"surrogate half encoded raw", "{\"a\":\"\xed\xa0\x80\"}", "Invalid JSON: the body is not valid UTF-8"},
		{"nested as deep as the rule lets", strings.Repeat("[", jsonstrict.MaxDepth) + strings.Repeat("]", jsonstrict.MaxDepth), ""},
		{"nested deeper", strings.Repeat("[", jsonstrict.MaxDepth+1) + strings.Repeat("]", jsonstrict.MaxDepth+1),
			"Invalid JSON: nested more than 100 levels deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := jsonProblem([]byte(tt.body)); got != tt.want {
				t.Errorf("jsonProblem(%q) = %q, want %q", tt.body, got, tt.want)
			}
		})
	}
}

// FuzzParseObject checks that any body gives an object or an invalid_body
// error with a short message, never a panic, and that an accepted body is
// valid UTF-8 JSON without a key twice, whose top-level keys are allowed.
func FuzzParseObject(f *testing.F) {
	for _, seed := range []string{`{"a":1}`, `{"a":1,"a":2}`, `{"b":{"c":[1,{"d":2,"d":3}]}}`, "{\"a\":\"\xff\"}",
		`{"a":"\u0000"}`, `[]`, ``, `{"a":1} x`, `{"\u0061":1,"a":2}`, `{"x":1}`} {
		f.Add([]byte(seed))
	}
	allowed := []string{"a", "b"}
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := parseObject(data, allowed)
		if err != nil {
			var e *userport.Error
			if !errors.As(err, &e) || e.Code != userport.EINVALID || e.Detail != "invalid_body" {
				t.Fatalf("parseObject(%q) error = %#v, want an invalid_body error", data, err)
			}
			if n := utf8.RuneCountInString(e.Message); n > 200 {
				t.Fatalf("parseObject(%q) message of %d characters: %q", data, n, e.Message)
			}
			return
		}
		if !utf8.Valid(data) || !json.Valid(data) {
			t.Fatalf("parseObject accepted %q, not valid UTF-8 JSON", data)
		}
		if err := jsonstrict.Check(data); err != nil {
			t.Fatalf("parseObject accepted %q: %v", data, err)
		}
		for k := range o {
			if k != "a" && k != "b" {
				t.Fatalf("parseObject accepted %q with key %q", data, k)
			}
		}
	})
}
