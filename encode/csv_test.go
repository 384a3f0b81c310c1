package encode_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/encode"
	"github.com/userport/userport/fieldpath"
)

// readCSV decodes CSV output with encoding/csv, which also proves it valid.
func readCSV(t *testing.T, out []byte) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(out))
	records, err := r.ReadAll()
	if err != nil {
		t.Fatalf("encoding/csv cannot read the output: %v\n%s", err, out)
	}
	return records
}

func TestCSVCells(t *testing.T) {
	users := testUsers(t)
	records := readCSV(t, encodeAll(t, userport.FormatCSV, customFields, users))
	if len(records) != len(users)+1 {
		t.Fatalf("got %d records, want a header and %d rows", len(records), len(users))
	}
	tests := []struct {
		row  int // 1 is the first user
		col  string
		want string
	}{
		{1, "user_id", "'auth0|5f1c2e3d4b5a697800000001"},
		{1, "user_metadata.consent.given", "true"},
		{1, "user_metadata.score", "42"},
		{1, "created_at", "2017-11-02T23:34:03.803Z"},
		{1, "last_login", "2021-03-04T05:06:07.089Z"},
		{1, "second_customer", "'cus_2"},
		{1, "app_metadata.tags", `'["beta","vip"]`},
		{1, "does.not.exist", ""},
		{2, "name", `'Lee, Ann "Nan"`},
		{2, `weird, "header"`, "'+1 555"},
		{2, "family_name", "'-2+3"},
		{2, "nickname", `'=HYPERLINK("http://evil.example","x")`},
		{2, "username", "'@SUM(A1:A2)"},
		{2, "user_metadata.score", "-1.5e3"},
		{2, "user_metadata.note", "'line one\nline two\nline three\ttabbed \\ back/slash"}, // encoding/csv reads CRLF as LF
		{2, "logins_count", "0"},
		{2, "blocked", ""},
		{3, "name", "'José Müller 😀 😀 日本語"},
		{3, "nickname", "''quoted'"},
		{3, "user_metadata.name", "'escaped key"},
		{3, "user_metadata.consent.given", ""},
		{3, "last_login", "'=1+1"},
		{3, "logins_count", "12345678901234567890"},
		{4, "Email Address", ""},
		{4, "logins_count", ""},
		{4, "user_metadata.prefs", `'[1,{"a":[true,null]}]`},
		{5, "user_id", "'auth0|5f1c2e3d4b5a697800000005"},
		{5, "created_at", ""},
	}
	col := map[string]int{}
	for i, h := range records[0] {
		col[h] = i
	}
	for _, tt := range tests {
		i, ok := col[tt.col]
		if !ok {
			t.Fatalf("no column %q in header %q", tt.col, records[0])
		}
		if got := records[tt.row][i]; got != tt.want {
			t.Errorf("row %d, %s = %q, want %q", tt.row, tt.col, got, tt.want)
		}
	}
}

// TestCSVMatchesEncodingJSON checks every cell against the value that
// encoding/json finds in the document.
func TestCSVMatchesEncodingJSON(t *testing.T) {
	users := testUsers(t)
	for _, fields := range [][]userport.Field{customFields, encode.DefaultCSVFields()} {
		records := readCSV(t, encodeAll(t, userport.FormatCSV, fields, users))
		for u, doc := range users {
			for i, f := range fields {
				want := expectedCell(t, doc, f.Name)
				got := records[u+1][i]
				if strings.HasPrefix(want, "'[") || strings.HasPrefix(want, "'{") {
					if !sameJSON(got[1:], want[1:]) || got[0] != '\'' {
						t.Errorf("user %d, %s = %q, want %q", u+1, f.Name, got, want)
					}
				} else if got != want {
					t.Errorf("user %d, %s = %q, want %q", u+1, f.Name, got, want)
				}
			}
		}
	}
}

// expectedCell computes a cell from the document decoded by encoding/json.
func expectedCell(t *testing.T, doc []byte, path string) string {
	v, ok := decodedAt(t, doc, fieldpath.MustParse(path))
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		x = strings.ReplaceAll(x, "\r\n", "\n")
		if ok && isDateField(path) && x != "" && x[0] >= '0' && x[0] <= '9' {
			return x
		}
		return "'" + x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return "'" + string(b)
}

func isDateField(path string) bool {
	switch path {
	case "created_at", "updated_at", "last_login", "last_password_reset":
		return true
	}
	return false
}

// decodedAt decodes doc with encoding/json and walks p; nil, false if absent.
func decodedAt(t *testing.T, doc []byte, p fieldpath.Path) (any, bool) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Segments() {
		switch x := v.(type) {
		case map[string]any:
			c, ok := x[s.Key]
			if !ok || s.IsIndex() {
				return nil, false
			}
			v = c
		case []any:
			if !s.IsIndex() || s.Index >= len(x) {
				return nil, false
			}
			v = x[s.Index]
		default:
			return nil, false
		}
	}
	return v, true
}

func sameJSON(a, b string) bool {
	var x, y any
	return json.Unmarshal([]byte(a), &x) == nil && json.Unmarshal([]byte(b), &y) == nil && reflect.DeepEqual(x, y)
}

func TestCSVHeader(t *testing.T) {
	tests := []struct {
		fields []userport.Field
		want   string
	}{
		{[]userport.Field{{Name: "email"}, {Name: "user_metadata.a", ExportAs: "A"}}, "email,A\n"},
		{[]userport.Field{{Name: "a", ExportAs: "x,y"}, {Name: "b", ExportAs: `say "hi"`}}, `"x,y","say ""hi"""` + "\n"},
		{[]userport.Field{{Name: "a", ExportAs: "two\nlines"}, {Name: "b", ExportAs: "plain=1"}}, "\"two\nlines\",plain=1\n"},
		// A header cell that starts like a formula is guarded as a data cell is.
		{[]userport.Field{{Name: "a", ExportAs: "=HYPERLINK(\"x\")"}}, `"'=HYPERLINK(""x"")"` + "\n"},
		{[]userport.Field{{Name: "a", ExportAs: "+1"}, {Name: "b", ExportAs: "-1"}}, `"'+1","'-1"` + "\n"},
		{[]userport.Field{{Name: "a", ExportAs: "@SUM(A1)"}, {Name: "b", ExportAs: "\t=1"}}, "\"'@SUM(A1)\",\"'\t=1\"\n"},
		{[]userport.Field{{Name: "a", ExportAs: "\r=1,2"}}, "\"'\r=1,2\"\n"},
		// Spaces before a formula, its fullwidth forms, a NUL: guarded as well.
		{[]userport.Field{{Name: "a", ExportAs: " =1"}, {Name: "b", ExportAs: "\u3000\u00a0 @x"}}, `"' =1","'` + "\u3000\u00a0" + ` @x"` + "\n"},
		{[]userport.Field{{Name: "a", ExportAs: "\uff1dSUM(1)"}, {Name: "b", ExportAs: "\uff0b1"}, {Name: "c", ExportAs: "\uff0d1"}, {Name: "d", ExportAs: "\uff20x"}},
			"\"'\uff1dSUM(1)\",\"'\uff0b1\",\"'\uff0d1\",\"'\uff20x\"\n"},
		{[]userport.Field{{Name: "a", ExportAs: "\x00=1"}, {Name: "b", ExportAs: "\x00x"}, {Name: "c", ExportAs: " \x00=1"}}, "\"'\x00=1\",\"'\x00x\",\"' \x00=1\"\n"},
		{[]userport.Field{{Name: "a", ExportAs: "a =1"}, {Name: "b", ExportAs: "x\uff1d1"}, {Name: "c", ExportAs: " x"}}, "a =1,x\uff1d1, x\n"},
		{[]userport.Field{{Name: "identities[0].connection"}}, "identities[0].connection\n"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		c, err := encode.NewCSV(&out, tt.fields)
		if err != nil {
			t.Fatal(err)
		}
		if out.Len() != 0 {
			t.Errorf("NewCSV wrote before Close: %q", out.String())
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if out.String() != tt.want {
			t.Errorf("header = %q, want %q", out.String(), tt.want)
		}
		readCSV(t, out.Bytes())
	}
}

func TestCSVSystemDates(t *testing.T) {
	fields := []userport.Field{
		{Name: "created_at"}, {Name: "updated_at", ExportAs: "u"}, {Name: "last_login"},
		{Name: "last_password_reset"}, {Name: "user_metadata.created_at"}, {Name: "birthday"},
	}
	doc := `{"created_at":"2017-11-02T23:34:03.803Z","updated_at":"2017-11-02","last_login":"-1+2",` +
		`"last_password_reset":"2020-01-01T00:00:00+01:00","user_metadata":{"created_at":"2017-11-02T23:34:03.803Z"},` +
		`"birthday":"2000-01-01"}`
	got := string(encodeAll(t, userport.FormatCSV, fields, [][]byte{[]byte(doc)}))
	want := "created_at,u,last_login,last_password_reset,user_metadata.created_at,birthday\n" +
		`2017-11-02T23:34:03.803Z,2017-11-02,"'-1+2",2020-01-01T00:00:00+01:00,"'2017-11-02T23:34:03.803Z","'2000-01-01"` + "\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestCSVBodyHasNoHeader(t *testing.T) {
	users := testUsers(t)
	var whole, body bytes.Buffer
	for _, part := range []struct {
		w   *bytes.Buffer
		new func(w io.Writer, fields []userport.Field) (*encode.CSV, error)
	}{{&whole, encode.NewCSV}, {&body, encode.NewCSVBody}} {
		c, err := part.new(part.w, customFields)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			if err := c.Encode(u); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	header, rest, _ := strings.Cut(whole.String(), "\n")
	if rest != body.String() || !strings.HasPrefix(header, "user_id,Email Address,") {
		t.Errorf("NewCSVBody wrote\n%s\nwant the rows of NewCSV:\n%s", body.String(), rest)
	}
}
