package testutil

// A reference model of export files, written from the contract
// (shared/spec/users-export-api.md section 5) independently of the encode
// package: pathValue resolves a field path over a stored document, csvCell
// applies Auth0's cell rules, ndjsonLine builds the nested NDJSON object.
// Tests check downloaded files against the stored documents with CheckCSV
// and CheckNDJSON.

import (
	"bytes"
	"cmp"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/userport/userport"
)

// seg is one step of a field path: a key, or an index when idx >= 0.
type seg struct {
	key string
	idx int
}

// parsePath splits a (valid) field path into its steps.
func parsePath(t testing.TB, name string) []seg {
	t.Helper()
	var segs []seg
	for _, part := range strings.Split(name, ".") {
		key, rest, _ := strings.Cut(part, "[")
		segs = append(segs, seg{key: key, idx: -1})
		for rest != "" {
			num, after, ok := strings.Cut(rest, "]")
			n, err := strconv.Atoi(num)
			if !ok || err != nil {
				t.Fatalf("bad test path %q", name)
			}
			segs = append(segs, seg{idx: n})
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return segs
}

// pathValue returns the raw JSON value at the path in doc, and whether
// there is one.
func pathValue(t testing.TB, doc []byte, name string) (json.RawMessage, bool) {
	t.Helper()
	cur := json.RawMessage(doc)
	for _, s := range parsePath(t, name) {
		if s.idx < 0 {
			var obj map[string]json.RawMessage
			if json.Unmarshal(cur, &obj) != nil || obj == nil {
				return nil, false
			}
			v, ok := obj[s.key]
			if !ok {
				return nil, false
			}
			cur = v
			continue
		}
		var arr []json.RawMessage
		if json.Unmarshal(cur, &arr) != nil || s.idx >= len(arr) {
			return nil, false
		}
		cur = arr[s.idx]
	}
	return cur, true
}

// systemDates are the dates the system writes, bare in CSV.
var systemDates = map[string]bool{"created_at": true, "updated_at": true, "last_login": true, "last_password_reset": true}

// dateLike is what a system date looks like.
var dateLike = regexp.MustCompile(`^[0-9][0-9TZ:.+-]*$`)

// csvCell is the CSV cell, as written in the file, of field name for doc.
func csvCell(t testing.TB, doc []byte, name string) string {
	t.Helper()
	raw, ok := pathValue(t, doc, name)
	if !ok {
		return ""
	}
	switch raw[0] {
	case 'n':
		return ""
	case 't', 'f':
		return string(raw)
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		if systemDates[name] && dateLike.MatchString(s) {
			return s
		}
		return QuoteCell(s)
	case '{', '[':
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			t.Fatal(err)
		}
		return QuoteCell(buf.String())
	}
	return string(raw) // a number, as written
}

// QuoteCell is Auth0's guarded string cell: quoted, ' prefixed, quotes doubled.
func QuoteCell(s string) string {
	return `"'` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// CSVHeader is the header line of fields (without its line end).
func CSVHeader(fields []userport.Field) string {
	cells := make([]string, len(fields))
	for i, f := range fields {
		cells[i] = cmp.Or(f.ExportAs, f.Name)
		if strings.ContainsAny(cells[i], ",\"\r\n") { // quoted as RFC 4180 says, so the file stays CSV
			cells[i] = `"` + strings.ReplaceAll(cells[i], `"`, `""`) + `"`
		}
	}
	return strings.Join(cells, ",")
}

// CSVRow is the expected row of doc for fields, cells as written.
func CSVRow(t testing.TB, doc []byte, fields []userport.Field) []string {
	t.Helper()
	row := make([]string, len(fields))
	for i, f := range fields {
		row[i] = csvCell(t, doc, f.Name)
	}
	return row
}

// SplitCSV splits a CSV file into rows of cells kept as written (quotes and
// all), failing if it is not valid RFC 4180 CSV with "\n" line ends.
func SplitCSV(t testing.TB, data []byte) [][]string {
	t.Helper()
	s := string(data)
	if s != "" && !strings.HasSuffix(s, "\n") {
		t.Fatalf("CSV does not end with a line end: ...%q", s[max(0, len(s)-40):])
	}
	var rows [][]string
	var row []string
	for i := 0; i < len(s); {
		end := i
		if s[i] == '"' {
			end = quotedEnd(t, s, i)
		} else {
			for end < len(s) && s[end] != ',' && s[end] != '\n' {
				if s[end] == '"' || s[end] == '\r' {
					t.Fatalf("bare cell with %q at offset %d: %q", s[end], end, s[i:min(len(s), i+40)])
				}
				end++
			}
		}
		row = append(row, s[i:end])
		if end >= len(s) || (s[end] != ',' && s[end] != '\n') {
			t.Fatalf("cell at offset %d not followed by , or line end: %q", i, s[i:min(len(s), end+10)])
		}
		if s[end] == '\n' {
			rows, row = append(rows, row), nil
		}
		i = end + 1
		if s[end] == ',' && i == len(s) {
			t.Fatalf("CSV ends after a comma")
		}
	}
	return rows
}

// quotedEnd returns the offset just after the quoted cell starting at i.
func quotedEnd(t testing.TB, s string, i int) int {
	t.Helper()
	for j := i + 1; j < len(s); j++ {
		if s[j] != '"' {
			continue
		}
		if j+1 < len(s) && s[j+1] == '"' {
			j++
			continue
		}
		return j + 1
	}
	t.Fatalf("unterminated quoted cell at offset %d", i)
	return 0
}

// CheckCSV checks a downloaded CSV file cell by cell: the header of fields,
// then one row per document, in order.
func CheckCSV(t testing.TB, data []byte, fields []userport.Field, docs [][]byte) {
	t.Helper()
	rows := SplitCSV(t, data)
	if len(rows) == 0 {
		t.Fatalf("CSV has no header")
	}
	if got, want := strings.Join(rows[0], ","), CSVHeader(fields); got != want {
		t.Errorf("header = %q, want %q", got, want)
	}
	if len(rows)-1 != len(docs) {
		t.Errorf("%d rows, want %d", len(rows)-1, len(docs))
	}
	for i := range min(len(rows)-1, len(docs)) {
		CheckCSVRow(t, i, rows[i+1], CSVRow(t, docs[i], fields), fields)
	}
}

// CheckCSVRow compares one row with its expected cells.
func CheckCSVRow(t testing.TB, i int, got, want []string, fields []userport.Field) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("row %d has %d cells, want %d: %q", i, len(got), len(want), got)
		return
	}
	for c := range want {
		if got[c] != want[c] {
			t.Errorf("row %d, %s: cell %s, want %s", i, fields[c].Name, got[c], want[c])
		}
	}
}

// node is a place of an expected NDJSON line: a leaf holding a field's
// value (field >= 0), or an object or array of nodes.
type node struct {
	seg   seg
	field int
	array bool
	kids  []*node
}

// ndjsonLine is the expected NDJSON line (without "\n") of doc for fields:
// export_as is a top-level key, a path without it keeps its nested place,
// paths sharing a prefix merge (in the order it first appears), indexes make
// arrays of the requested elements in index order, absent values and the
// parents they leave empty are omitted.
func ndjsonLine(t testing.TB, doc []byte, fields []userport.Field) string {
	t.Helper()
	root := &node{field: -1}
	vals := make([]json.RawMessage, len(fields))
	for i, f := range fields {
		vals[i], _ = pathValue(t, doc, f.Name)
		segs := []seg{{key: f.ExportAs, idx: -1}}
		if f.ExportAs == "" {
			segs = parsePath(t, f.Name)
		}
		n := root
		for d, s := range segs {
			n = n.child(s, d == len(segs)-1, i)
			if d+1 < len(segs) {
				n.array = segs[d+1].idx >= 0
			}
		}
	}
	out, _ := root.render(vals)
	return out
}

// child returns n's node at s, adding it (a leaf of field when leaf) if new.
func (n *node) child(s seg, leaf bool, field int) *node {
	for _, k := range n.kids {
		if k.seg == s {
			return k
		}
	}
	k := &node{seg: s, field: -1}
	if leaf {
		k.field = field
	}
	n.kids = append(n.kids, k)
	return k
}

// render writes the node's JSON; ok is false when it holds nothing.
func (n *node) render(vals []json.RawMessage) (string, bool) {
	if n.field >= 0 {
		v := vals[n.field]
		return string(v), v != nil
	}
	kids := slices.Clone(n.kids)
	if n.array {
		slices.SortFunc(kids, func(a, b *node) int { return a.seg.idx - b.seg.idx })
	}
	var parts []string
	for _, k := range kids {
		v, ok := k.render(vals)
		if !ok {
			continue
		}
		if !n.array {
			key, _ := json.Marshal(k.seg.key)
			v = string(key) + ":" + v
		}
		parts = append(parts, v)
	}
	if n.array {
		return "[" + strings.Join(parts, ",") + "]", len(parts) > 0
	}
	return "{" + strings.Join(parts, ",") + "}", len(parts) > 0
}

// CheckNDJSON checks a downloaded NDJSON file line by line: the stored
// document itself without fields, else the model line.
func CheckNDJSON(t testing.TB, data []byte, fields []userport.Field, docs [][]byte) {
	t.Helper()
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Fatalf("NDJSON does not end with a line end")
	}
	lines := strings.Split(string(data), "\n")
	lines = lines[:len(lines)-1]
	if len(lines) != len(docs) {
		t.Errorf("%d lines, want %d", len(lines), len(docs))
	}
	for i := range min(len(lines), len(docs)) {
		want := string(docs[i])
		if len(fields) > 0 {
			want = ndjsonLine(t, docs[i], fields)
		}
		if lines[i] != want {
			t.Errorf("line %d =\n%s\nwant\n%s", i, lines[i], want)
		}
	}
}

// Fields turns names ("name" or "name=export_as") into fields.
func Fields(specs ...string) []userport.Field {
	fields := make([]userport.Field, len(specs))
	for i, s := range specs {
		name, as, _ := strings.Cut(s, "=")
		fields[i] = userport.Field{Name: name, ExportAs: as}
	}
	return fields
}

// DefaultCSVFields is the contract's default CSV field list.
var DefaultCSVFields = Fields("user_id", "email", "email_verified", "username", "phone_number", "phone_verified",
	"name", "given_name", "family_name", "nickname", "picture", "identities[0].connection",
	"created_at", "updated_at", "last_login", "last_ip", "logins_count", "blocked")

// CheckStoreCSV checks a CSV file of every user of tenant (n of them) with
// the default fields: one row per stored user, in user_id order, and every
// 97th row (and the last) cell by cell.
func CheckStoreCSV(t testing.TB, r UserReader, tenant string, data []byte, n int) {
	t.Helper()
	rows := SplitCSV(t, data)
	if len(rows) != n+1 {
		t.Fatalf("%d CSV rows, want a header and %d users", len(rows), n)
	}
	if got, want := strings.Join(rows[0], ","), CSVHeader(DefaultCSVFields); got != want {
		t.Errorf("header %q, want %q", got, want)
	}
	i := 0
	EachUser(t, r, userport.UserScan{Tenant: tenant, Limit: 2000}, func(id string, doc []byte) {
		row := rows[i+1]
		if row[0] != QuoteCell(id) {
			t.Fatalf("row %d is user %s, want %s", i, row[0], id)
		}
		if i%97 == 0 || i == n-1 {
			CheckCSVRow(t, i, row, CSVRow(t, doc, DefaultCSVFields), DefaultCSVFields)
		}
		i++
	})
}

// CheckStoreNDJSON checks an NDJSON file of every user of tenant (n of
// them) without fields: each line is the stored document, in user_id order.
func CheckStoreNDJSON(t testing.TB, r UserReader, tenant string, data []byte, n int) {
	t.Helper()
	if !bytes.HasSuffix(data, []byte("\n")) {
		t.Fatalf("NDJSON does not end with a line end")
	}
	lines := bytes.Split(data[:len(data)-1], []byte("\n"))
	if len(lines) != n {
		t.Fatalf("%d NDJSON lines, want %d", len(lines), n)
	}
	i := 0
	EachUser(t, r, userport.UserScan{Tenant: tenant, Limit: 2000}, func(id string, doc []byte) {
		if !bytes.Equal(lines[i], doc) {
			t.Fatalf("line %d =\n%s\nwant user %s\n%s", i, lines[i], id, doc)
		}
		i++
	})
}
