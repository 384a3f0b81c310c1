package encode_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/encode"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// customFields covers every kind of path: root, nested, indexed, export_as,
// a header that needs quoting, objects and arrays, and a path that never exists.
var customFields = []userport.Field{
	{Name: "user_id"},
	{Name: "email", ExportAs: "Email Address"},
	{Name: "name"},
	{Name: "given_name", ExportAs: `weird, "header"`},
	{Name: "family_name"},
	{Name: "nickname"},
	{Name: "username"},
	{Name: "user_metadata.consent.given"},
	{Name: "user_metadata.consent.date"},
	{Name: "user_metadata.score"},
	{Name: "user_metadata.note"},
	{Name: "user_metadata.name"},
	{Name: "user_metadata.prefs"},
	{Name: "app_metadata.tags"},
	{Name: "app_metadata.stripe[0].customer_id"},
	{Name: "app_metadata.stripe[1].customer_id", ExportAs: "second_customer"},
	{Name: "identities[0].connection", ExportAs: "connection"},
	{Name: "identities[1].provider"},
	{Name: "identities[0].user_id"},
	{Name: "created_at"},
	{Name: "last_login"},
	{Name: "logins_count"},
	{Name: "blocked"},
	{Name: "email_verified"},
	{Name: "does.not.exist"},
}

// formulaFields have header cells that a spreadsheet would run as formulas
// were they not guarded.
var formulaFields = []userport.Field{
	{Name: "email", ExportAs: "=HYPERLINK(\"http://evil.example\",\"Email\")"},
	{Name: "name", ExportAs: "+cmd|' /C calc'!A0"},
	{Name: "nickname", ExportAs: "-2+3"},
	{Name: "username", ExportAs: "@SUM(1+1)"},
	{Name: "given_name", ExportAs: "\t=1"},
	{Name: "family_name", ExportAs: "\r=1"},
	{Name: "email", ExportAs: " =1"},
	{Name: "name", ExportAs: "\uff1d1+1"},
	{Name: "nickname", ExportAs: "\uff0b1"},
	{Name: "username", ExportAs: "\uff0d1"},
	{Name: "given_name", ExportAs: "\uff20SUM(1)"},
	{Name: "user_id"},
}

// testUsers returns the documents of testdata/users.json, compacted as the
// store keeps them.
func testUsers(t testing.TB) [][]byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "users.json"))
	if err != nil {
		t.Fatal(err)
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(data, &raws); err != nil {
		t.Fatal(err)
	}
	docs := make([][]byte, len(raws))
	for i, r := range raws {
		var b bytes.Buffer
		if err := json.Compact(&b, r); err != nil {
			t.Fatal(err)
		}
		docs[i] = b.Bytes()
	}
	return docs
}

// encodeAll runs docs through the encoder for format and fields.
func encodeAll(t testing.TB, format userport.Format, fields []userport.Field, docs [][]byte) []byte {
	t.Helper()
	return encodeFile(t, encode.New, format, fields, docs, nil)
}

// encodeFile runs docs, then tombstones, through the encoder that newEnc
// makes for format and fields.
func encodeFile(t testing.TB, newEnc func(io.Writer, userport.Format, []userport.Field) (encode.Encoder, error),
	format userport.Format, fields []userport.Field, docs [][]byte, tombs []userport.Tombstone) []byte {
	t.Helper()
	var out bytes.Buffer
	enc, err := newEnc(&out, format, fields)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if err := enc.Encode(d); err != nil {
			t.Fatalf("Encode(%s): %v", d, err)
		}
	}
	for _, ts := range tombs {
		if err := enc.EncodeTombstone(ts); err != nil {
			t.Fatalf("EncodeTombstone(%v): %v", ts, err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestGolden(t *testing.T) {
	users := testUsers(t)
	tests := []struct {
		file   string
		format userport.Format
		fields []userport.Field
		docs   [][]byte
	}{
		{"default.csv", userport.FormatCSV, nil, users},
		{"custom.csv", userport.FormatCSV, customFields, users},
		{"all.ndjson", userport.FormatJSON, nil, users},
		{"fields.ndjson", userport.FormatJSON, customFields, users},
		{"formula-header.csv", userport.FormatCSV, formulaFields, users[:2]},
		{"empty-default.csv", userport.FormatCSV, nil, nil},
		{"empty-custom.csv", userport.FormatCSV, customFields, nil},
		{"empty.ndjson", userport.FormatJSON, customFields, nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			golden(t, tt.file, encodeAll(t, tt.format, tt.fields, tt.docs))
		})
	}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update if the change is right):\n%s",
			name, lineDiff(string(want), string(got)))
	}
}

// lineDiff lists the lines that differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + string(rune('0'+i%10)) + ":\n  want: " + wl + "\n  got:  " + gl + "\n")
		}
	}
	return b.String()
}
