package encode_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/encode"
	"github.com/userport/userport/fieldpath"
)

// readNDJSON decodes every line of out with encoding/json, which also proves
// each line valid JSON.
func readNDJSON(t *testing.T, out []byte) []map[string]any {
	t.Helper()
	if len(out) > 0 && out[len(out)-1] != '\n' {
		t.Fatalf("output does not end with a newline: %q", out)
	}
	var objs []map[string]any
	for _, line := range strings.SplitAfter(string(out), "\n") {
		if line == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil || dec.More() {
			t.Fatalf("line is not one JSON object (%v): %s", err, line)
		}
		objs = append(objs, obj)
	}
	return objs
}

func decode(t *testing.T, doc []byte) map[string]any {
	t.Helper()
	objs := readNDJSON(t, append(append([]byte(nil), doc...), '\n'))
	return objs[0]
}

func TestNDJSONAllIsTheProfile(t *testing.T) {
	users := testUsers(t)
	objs := readNDJSON(t, encodeAll(t, userport.FormatJSON, nil, users))
	if len(objs) != len(users) {
		t.Fatalf("got %d lines, want %d", len(objs), len(users))
	}
	for i, doc := range users {
		if want := decode(t, doc); !reflect.DeepEqual(objs[i], want) {
			t.Errorf("line %d = %v, want %v", i+1, objs[i], want)
		}
	}
}

func TestNDJSONAllOneLine(t *testing.T) {
	docs := []string{
		"{\n  \"user_id\": \"auth0|1\",\n  \"name\": \"a\\nb\"\n}",
		"{\"user_id\":\"auth0|2\",\r\"x\":1}",
		"  {\"user_id\":\"auth0|3\"}  ",
		`{"user_id":"auth0|4"}`,
	}
	var in [][]byte
	for _, d := range docs {
		in = append(in, []byte(d))
	}
	out := encodeAll(t, userport.FormatJSON, nil, in)
	want := `{"user_id":"auth0|1","name":"a\nb"}` + "\n" + `{"user_id":"auth0|2","x":1}` + "\n" +
		`{"user_id":"auth0|3"}` + "\n" + `{"user_id":"auth0|4"}` + "\n"
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

// TestNDJSONFieldsMatchEncodingJSON checks that every field without an index
// sits at its path (or under its export_as) with the document's value.
func TestNDJSONFieldsMatchEncodingJSON(t *testing.T) {
	users := testUsers(t)
	objs := readNDJSON(t, encodeAll(t, userport.FormatJSON, customFields, users))
	for u, doc := range users {
		for _, f := range customFields {
			p := fieldpath.MustParse(f.Name)
			want, wantOK := decodedAt(t, doc, p)
			var got any
			var gotOK bool
			if f.ExportAs != "" {
				got, gotOK = objs[u][f.ExportAs]
			} else if !strings.Contains(f.Name, "[") {
				line, _ := json.Marshal(objs[u])
				got, gotOK = decodedAt(t, line, p)
			} else {
				continue // indexes are compacted: TestNDJSONArrays
			}
			if gotOK != wantOK || !reflect.DeepEqual(got, want) {
				t.Errorf("user %d, %s = %v (%v), want %v (%v)", u+1, f.Name, got, gotOK, want, wantOK)
			}
		}
	}
}

func TestNDJSONArrays(t *testing.T) {
	doc := `{"identities":[{"connection":"c0","provider":"p0"},{"connection":"c1"},{"connection":"c2","provider":"p2"}],` +
		`"m":[[1,2],[3,4]]}`
	tests := []struct {
		fields []string
		want   string
	}{
		{[]string{"identities[0].connection"}, `{"identities":[{"connection":"c0"}]}`},
		{[]string{"identities[1].connection"}, `{"identities":[{"connection":"c1"}]}`},
		{[]string{"identities[2].provider", "identities[0].connection", "identities[0].provider"},
			`{"identities":[{"connection":"c0","provider":"p0"},{"provider":"p2"}]}`},
		{[]string{"identities[1].provider", "identities[2].provider"}, `{"identities":[{"provider":"p2"}]}`},
		{[]string{"identities[5].provider"}, `{}`},
		{[]string{"identities[1]"}, `{"identities":[{"connection":"c1"}]}`},
		{[]string{"m[1][0]", "m[0][1]"}, `{"m":[[2],[3]]}`},
	}
	for _, tt := range tests {
		var fields []userport.Field
		for _, f := range tt.fields {
			fields = append(fields, userport.Field{Name: f})
		}
		got := string(encodeAll(t, userport.FormatJSON, fields, [][]byte{[]byte(doc)}))
		if got != tt.want+"\n" {
			t.Errorf("%v: got %s, want %s", tt.fields, got, tt.want)
		}
	}
}

func TestNDJSONMergeAndOmit(t *testing.T) {
	fields := []userport.Field{
		{Name: "user_metadata.consent.given"}, {Name: "email"}, {Name: "user_metadata.consent.date"},
		{Name: "user_metadata.x.y"}, {Name: "app_metadata.plan", ExportAs: "plan"}, {Name: "picture"},
	}
	docs := []string{
		`{"email":"a@b.c","user_metadata":{"consent":{"date":"2020-01-01","given":true}},"app_metadata":{"plan":"pro"},"picture":null}`,
		`{"user_metadata":{"consent":{}}}`,
		`{}`,
	}
	want := `{"user_metadata":{"consent":{"given":true,"date":"2020-01-01"}},"email":"a@b.c","plan":"pro","picture":null}` + "\n" +
		"{}\n{}\n"
	var in [][]byte
	for _, d := range docs {
		in = append(in, []byte(d))
	}
	if got := string(encodeAll(t, userport.FormatJSON, fields, in)); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestNDJSONConflicts(t *testing.T) {
	tests := []struct {
		fields []userport.Field
		errs   string
	}{
		{[]userport.Field{{Name: "email"}, {Name: "email"}}, `fields "email" and "email" both write "email"`},
		{[]userport.Field{{Name: "email"}, {Name: "name", ExportAs: "email"}}, `both write "email"`},
		{[]userport.Field{{Name: "user_metadata"}, {Name: "user_metadata.consent"}}, `both write "user_metadata"`},
		{[]userport.Field{{Name: "user_metadata.a.b"}, {Name: "user_metadata.a"}}, `both write "a"`},
		{[]userport.Field{{Name: "a.b"}, {Name: "x", ExportAs: "a"}}, `both write "a"`},
		{[]userport.Field{{Name: "a[0].b"}, {Name: "a.b"}}, "disagree"},
		{[]userport.Field{{Name: "a.b"}, {Name: "a[0]"}}, "disagree"},
		{[]userport.Field{{Name: "a[0]"}, {Name: "a[0].b"}}, `both write "[0]"`},
		{[]userport.Field{{Name: "a..b"}}, `field path "a..b": empty key`},
	}
	for _, tt := range tests {
		_, err := encode.NewNDJSON(&bytes.Buffer{}, tt.fields)
		if err == nil || !strings.Contains(err.Error(), tt.errs) {
			t.Errorf("NewNDJSON(%v) error = %v, want %q", tt.fields, err, tt.errs)
		}
		if err := encode.Validate(userport.FormatJSON, tt.fields); err == nil {
			t.Errorf("Validate(json, %v) = nil", tt.fields)
		}
	}
	ok := []userport.Field{
		{Name: "a[0].b"}, {Name: "a[1].b"}, {Name: "a[0].c"}, {Name: "x.y", ExportAs: "x.y"}, {Name: "x.z"},
	}
	if err := encode.Validate(userport.FormatJSON, ok); err != nil {
		t.Errorf("Validate(json, %v): %v", ok, err)
	}
	if err := encode.Validate(userport.FormatCSV, []userport.Field{{Name: "email"}, {Name: "email"}}); err != nil {
		t.Errorf("CSV may repeat a column: %v", err)
	}
}

func TestNewAndValidate(t *testing.T) {
	if err := encode.Validate("xml", nil); err == nil {
		t.Errorf("Validate(xml) = nil")
	}
	if err := encode.Validate(userport.FormatCSV, []userport.Field{{Name: "x[-1]"}}); err == nil ||
		!strings.Contains(err.Error(), "non-negative") {
		t.Errorf("Validate(csv, x[-1]) = %v", err)
	}
	if err := encode.Validate(userport.FormatCSV, []userport.Field{{Name: ""}}); err == nil {
		t.Errorf("Validate(csv, empty name) = nil")
	}
	enc, err := encode.New(&bytes.Buffer{}, userport.FormatCSV, nil)
	if _, isCSV := enc.(*encode.CSV); err != nil || !isCSV {
		t.Errorf("New(csv) = %T, %v", enc, err)
	}
	enc, err = encode.New(&bytes.Buffer{}, userport.FormatJSON, nil)
	if _, isNDJSON := enc.(*encode.NDJSON); err != nil || !isNDJSON {
		t.Errorf("New(json) = %T, %v", enc, err)
	}
	enc, err = encode.New(&bytes.Buffer{}, userport.FormatJSON, []userport.Field{{Name: "a"}, {Name: "a"}})
	if enc != nil || err == nil {
		t.Errorf("New(json, conflict) = %v, %v; want a nil Encoder and an error", enc, err)
	}
}

func TestDefaultCSVFields(t *testing.T) {
	want := "user_id email email_verified username phone_number phone_verified name given_name family_name " +
		"nickname picture identities[0].connection created_at updated_at last_login last_ip logins_count blocked"
	var names []string
	for _, f := range encode.DefaultCSVFields() {
		if f.ExportAs != "" {
			t.Errorf("default field %s has export_as %q", f.Name, f.ExportAs)
		}
		names = append(names, f.Name)
	}
	if got := strings.Join(names, " "); got != want {
		t.Errorf("DefaultCSVFields = %s\nwant %s", got, want)
	}
	encode.DefaultCSVFields()[0].Name = "changed"
	if encode.DefaultCSVFields()[0].Name != "user_id" {
		t.Errorf("DefaultCSVFields shares its slice")
	}
}

// TestInvalidDocument checks what each encoder notices. The whole-profile
// mode only makes sure each line is one object on one line; the NDJSON fields
// mode copies string values as stored, without checking their escapes.
func TestInvalidDocument(t *testing.T) {
	const all, csvAll, csvFields, jsonFields = 1, 2, 4, 8
	bad := []struct {
		doc       string
		noticedBy int
	}{
		{``, all | csvAll | csvFields | jsonFields},
		{`not json`, all | csvAll | csvFields | jsonFields},
		{`[1,2]`, all | csvAll | csvFields | jsonFields},
		{`{"user_id":"a","email":`, all | csvAll | csvFields | jsonFields},
		{"{\"a\":\n", all | csvAll | csvFields | jsonFields},
		{`{"user_id": 01}`, csvAll | csvFields | jsonFields},
		{`{"name":"\q"}`, csvAll | csvFields},
	}
	good := []byte(`{"user_id":"auth0|1","name":"ok"}`)
	modes := []struct {
		bit    int
		format userport.Format
		fields []userport.Field
		lines  int
	}{
		{all, userport.FormatJSON, nil, 1},
		{csvAll, userport.FormatCSV, nil, 2},
		{csvFields, userport.FormatCSV, []userport.Field{{Name: "user_id"}, {Name: "name"}}, 2},
		{jsonFields, userport.FormatJSON, []userport.Field{{Name: "user_id"}, {Name: "name"}}, 1},
	}
	for _, m := range modes {
		var out bytes.Buffer
		enc, err := encode.New(&out, m.format, m.fields)
		if err != nil {
			t.Fatal(err)
		}
		lines := m.lines
		for _, b := range bad {
			err := enc.Encode([]byte(b.doc))
			if b.noticedBy&m.bit == 0 {
				lines++
				continue
			}
			if !errors.Is(err, encode.ErrInvalidDocument) {
				t.Errorf("mode %d: Encode(%q) = %v, want ErrInvalidDocument", m.bit, b.doc, err)
			}
		}
		if err := enc.Encode(good); err != nil {
			t.Errorf("mode %d: Encode after an invalid document: %v", m.bit, err)
		}
		if err := enc.Close(); err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(out.String(), "\n"); got != lines {
			t.Errorf("mode %d: %d lines, want %d: %q", m.bit, got, lines, out.String())
		}
	}
}
