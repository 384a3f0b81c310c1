package fieldpath_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/userport/userport/fieldpath"
)

const lookupDoc = `{
  "user_id": "auth0|5f1c",
  "email": "a@b.c",
  "email_verified": true,
  "blocked": false,
  "picture": null,
  "logins_count": 42,
  "score": -1.5e3,
  "name": "Ann \"Nan\" Lee\nII \u00e9",
  "identities": [
    {"connection": "Username-Password-Authentication", "provider": "auth0", "user_id": "5f1c", "isSocial": false},
    {"connection": "google-oauth2", "provider": "google-oauth2"}
  ],
  "user_metadata": {"consent": {"given": true, "date": "2020-01-01", "tags": ["a", "b"]}, "empty": {}},
  "app_metadata": {"stripe": [{"customer_id": "cus_1"}, {"customer_id": "cus_2"}], "plan": "pro"},
  "matrix": [[1, 2], [3, [4, 5]]],
  "dup": 1,
  "dup": 2,
  "$weird-key": "w",
  "clé": "ü",
  "esc\"aped": "e",
  "created_at": "2017-11-02T23:34:03.803Z"
}`

type lookupCase struct {
	path string
	raw  string
	typ  fieldpath.ValueType
	ok   bool
}

var lookupCases = []lookupCase{
	{"user_id", "auth0|5f1c", fieldpath.String, true},
	{"email", "a@b.c", fieldpath.String, true},
	{"email_verified", "true", fieldpath.Bool, true},
	{"blocked", "false", fieldpath.Bool, true},
	{"picture", "null", fieldpath.Null, true},
	{"logins_count", "42", fieldpath.Number, true},
	{"score", "-1.5e3", fieldpath.Number, true},
	{"name", `Ann \"Nan\" Lee\nII \u00e9`, fieldpath.String, true},
	{"identities[0].connection", "Username-Password-Authentication", fieldpath.String, true},
	{"identities[1].connection", "google-oauth2", fieldpath.String, true},
	{"identities[1].user_id", "", fieldpath.Absent, false},
	{"identities[2].connection", "", fieldpath.Absent, false},
	{"identities[0].isSocial", "false", fieldpath.Bool, true},
	{"identities.connection", "", fieldpath.Absent, false},
	{"identities[0]", `{"connection": "Username-Password-Authentication", "provider": "auth0", "user_id": "5f1c", "isSocial": false}`, fieldpath.Object, true},
	{"user_metadata.consent.given", "true", fieldpath.Bool, true},
	{"user_metadata.consent.date", "2020-01-01", fieldpath.String, true},
	{"user_metadata.consent.tags[1]", "b", fieldpath.String, true},
	{"user_metadata.consent.tags", `["a", "b"]`, fieldpath.Array, true},
	{"user_metadata.empty", `{}`, fieldpath.Object, true},
	{"user_metadata.empty.x", "", fieldpath.Absent, false},
	{"user_metadata[0]", "", fieldpath.Absent, false},
	{"user_metadata.consent.given.x", "", fieldpath.Absent, false},
	{"app_metadata.stripe[0].customer_id", "cus_1", fieldpath.String, true},
	{"app_metadata.stripe[1].customer_id", "cus_2", fieldpath.String, true},
	{"app_metadata.plan", "pro", fieldpath.String, true},
	{"matrix[0][1]", "2", fieldpath.Number, true},
	{"matrix[1][1][0]", "4", fieldpath.Number, true},
	{"matrix[1][1]", "[4, 5]", fieldpath.Array, true},
	{"matrix[1][2]", "", fieldpath.Absent, false},
	{"dup", "1", fieldpath.Number, true},
	{"$weird-key", "w", fieldpath.String, true},
	{"clé", "ü", fieldpath.String, true},
	{`esc"aped`, "e", fieldpath.String, true},
	{"created_at", "2017-11-02T23:34:03.803Z", fieldpath.String, true},
	{"missing", "", fieldpath.Absent, false},
	{"missing.deeper[0]", "", fieldpath.Absent, false},
	{"consent", "", fieldpath.Absent, false}, // nested keys are not found from the root
	{"given", "", fieldpath.Absent, false},
}

func TestLookup(t *testing.T) {
	for _, tt := range lookupCases {
		raw, typ, ok := fieldpath.MustParse(tt.path).Lookup([]byte(lookupDoc))
		if string(raw) != tt.raw || typ != tt.typ || ok != tt.ok {
			t.Errorf("Lookup(%s) = %q, %v, %v; want %q, %v, %v", tt.path, raw, typ, ok, tt.raw, tt.typ, tt.ok)
		}
	}
}

func TestResolveMatchesLookup(t *testing.T) {
	var paths []fieldpath.Path
	for _, tt := range lookupCases {
		paths = append(paths, fieldpath.MustParse(tt.path))
	}
	paths = append(paths, fieldpath.MustParse("email"), fieldpath.Path{}) // a repeat and a zero path
	r := fieldpath.NewResolver(paths...)
	if r.Len() != len(paths) {
		t.Fatalf("Len() = %d, want %d", r.Len(), len(paths))
	}
	out := make([]fieldpath.Value, r.Len())
	for i := range out {
		out[i] = fieldpath.Value{Raw: []byte("stale"), Type: fieldpath.String}
	}
	if err := r.Resolve([]byte(lookupDoc), out); err != nil {
		t.Fatal(err)
	}
	for i, tt := range lookupCases {
		if got := out[i]; string(got.Raw) != tt.raw || got.Type != tt.typ {
			t.Errorf("Resolve: %s = %q, %v; want %q, %v", tt.path, got.Raw, got.Type, tt.raw, tt.typ)
		}
	}
	if got := out[len(lookupCases)]; string(got.Raw) != "a@b.c" {
		t.Errorf("repeated path = %q, want a@b.c", got.Raw)
	}
	if got := out[len(lookupCases)+1]; got.Type != fieldpath.Absent {
		t.Errorf("zero path = %v, want absent", got.Type)
	}
}

// TestResolveStopsEarly shows that the walk stops once every path resolved: the
// malformed tail after the last wanted key is never read.
func TestResolveStopsEarly(t *testing.T) {
	doc := []byte(`{"a": 1, "b": {"c": [10, 20, 30], "d": 2}, "broken": ]]]`)
	r := fieldpath.NewResolver(fieldpath.MustParse("b.c[1]"), fieldpath.MustParse("a"))
	out := make([]fieldpath.Value, 2)
	if err := r.Resolve(doc, out); err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if string(out[0].Raw) != "20" || string(out[1].Raw) != "1" {
		t.Errorf("Resolve = %q, %q; want 20, 1", out[0].Raw, out[1].Raw)
	}
}

func TestResolveInvalid(t *testing.T) {
	docs := []string{
		``,
		`   `,
		`[]`,
		`"str"`,
		`{"a": }`,
		`{"a": 1, "b"`,
		`{"a": 1 "b": 2}`,
		`{"a": 01}`,
		`{"a": -}`,
		`{"a": 1.}`,
		`{"a": 1e}`,
		`{"a": tru}`,
		`{"a": [1, 2}`,
	}
	r := fieldpath.NewResolver(fieldpath.MustParse("a"), fieldpath.MustParse("b"))
	out := make([]fieldpath.Value, 2)
	for _, doc := range docs {
		if err := r.Resolve([]byte(doc), out); !errors.Is(err, fieldpath.ErrInvalidJSON) {
			t.Errorf("Resolve(%q) error = %v, want ErrInvalidJSON", doc, err)
		}
		if raw, typ, ok := fieldpath.MustParse("b").Lookup([]byte(doc)); ok {
			t.Errorf("Lookup(b, %q) = %q, %v, want not ok", doc, raw, typ)
		}
	}
}

func TestResolveNoPaths(t *testing.T) {
	r := fieldpath.NewResolver()
	if err := r.Resolve([]byte(`not json`), nil); err != nil {
		t.Errorf("Resolve with no paths: %v", err)
	}
}

func TestNumbers(t *testing.T) {
	tests := []struct {
		num string
		ok  bool
	}{
		{"0", true}, {"-0", true}, {"42", true}, {"-1.5", true}, {"1e10", true}, {"1E+2", true},
		{"2.5e-3", true}, {"01", false}, {"-", false}, {"1.", false}, {".5", false}, {"1e", false},
		{"1e+", false}, {"--1", false}, {"1.5.5", false}, {"0x10", false}, {"1-2", false},
	}
	for _, tt := range tests {
		doc := []byte(fmt.Sprintf(`{"n": %s}`, tt.num))
		raw, typ, ok := fieldpath.MustParse("n").Lookup(doc)
		if ok != tt.ok || (ok && (typ != fieldpath.Number || string(raw) != tt.num)) {
			t.Errorf("Lookup(n) in %s = %q, %v, %v; want ok=%v", doc, raw, typ, ok, tt.ok)
		}
	}
}

func TestValueTypeString(t *testing.T) {
	names := map[fieldpath.ValueType]string{
		fieldpath.Absent: "absent", fieldpath.String: "string", fieldpath.Number: "number",
		fieldpath.Bool: "bool", fieldpath.Null: "null", fieldpath.Object: "object", fieldpath.Array: "array",
	}
	for typ, want := range names {
		if got := typ.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", typ, got, want)
		}
	}
}

// TestStringScanning puts quotes and backslashes at every offset around the
// 8-byte words the scanner reads, and checks the string and what follows it.
func TestStringScanning(t *testing.T) {
	alphabet := []string{"a", `"`, `\`, "é", "\n", "/", "😀"}
	for n := 0; n < 40; n++ {
		for shift := 0; shift < len(alphabet); shift++ {
			var s strings.Builder
			for i := 0; i < n; i++ {
				s.WriteString(alphabet[(i*i+shift+i/3)%len(alphabet)])
			}
			enc, err := json.Marshal(s.String())
			if err != nil {
				t.Fatal(err)
			}
			doc := fmt.Appendf(nil, `{"k":%s,"a":[%s,{"b":%s}],"z":1}`, enc, enc, enc)
			raw, typ, ok := fieldpath.MustParse("k").Lookup(doc)
			var got string
			if err := json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &got); err != nil || !ok ||
				typ != fieldpath.String || got != s.String() {
				t.Errorf("Lookup(k) in %s = %q, %v, %v", doc, raw, typ, ok)
			}
			if raw, _, ok := fieldpath.MustParse("z").Lookup(doc); !ok || string(raw) != "1" {
				t.Errorf("Lookup(z) in %s = %q, %v", doc, raw, ok)
			}
			if raw, _, ok := fieldpath.MustParse("a[1].b").Lookup(doc); !ok || string(raw) != string(enc[1:len(enc)-1]) {
				t.Errorf("Lookup(a[1].b) in %s = %q, %v", doc, raw, ok)
			}
		}
	}
}
