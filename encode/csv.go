package encode

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/buger/jsonparser"
	"github.com/userport/userport"
	"github.com/userport/userport/fieldpath"
)

// CSV writes users as CSV rows: comma separated, "\n" line ends, a header row
// first. Cells follow Auth0's rules, which guard against CSV injection:
//
//   - a string is JSON-unescaped, then written in double quotes with inner
//     quotes doubled and a ' prefix inside the quotes: "'Ann ""Nan"" Lee";
//     newlines and commas stay inside the quotes;
//   - the dates the system writes (fields whose path is exactly created_at,
//     updated_at, last_login or last_password_reset) are bare, as long as the
//     value looks like a date (digits first, then only digits and -:.TZ+);
//     anything else in those fields is quoted like any string;
//   - numbers and booleans are bare, as written in the document (42, 1.5e3, true);
//   - null and absent values are empty cells;
//   - an object or array met at a field's path is written as its compact JSON
//     text, quoted and prefixed like a string.
//
// The header row holds each field's export_as, or its name. Header cells are
// plain, as Auth0 writes them, except that a cell that starts like a formula
// (=, +, -, @ or their fullwidth forms, after any white space; or a control
// character: tab, carriage return, NUL) is guarded as a string cell is, and a
// cell with a comma, quote or line break is quoted per RFC 4180 so that the
// file stays valid CSV.
//
// The file of an incremental export (NewIncremental) has a last column,
// deleted_at: empty for the users, and for a tombstone (a deleted user) its
// time, bare as the system's dates are, beside the user_id in the user_id
// column(s), every other cell empty.
type CSV struct {
	out     output
	res     *fieldpath.Resolver
	bare    []bool // per column: a system date, written bare
	idCols  []int  // the columns of the field user_id
	deleted bool   // the last column is deleted_at (an incremental export)
	vals    []fieldpath.Value
	counts  counts
	unesc   []byte       // scratch for JSON-unescaping strings
	compact bytes.Buffer // scratch for compacting objects and arrays
}

// NewCSV returns a CSV encoder of fields that writes to w; no fields means
// DefaultCSVFields. The header row is buffered at once, so a file with no
// users still has it after Close. The error says which field path is malformed.
func NewCSV(w io.Writer, fields []userport.Field) (*CSV, error) {
	if len(fields) == 0 {
		fields = DefaultCSVFields()
	}
	c, err := NewCSVBody(w, fields)
	if err != nil {
		return nil, err
	}
	c.out.buf = appendHeader(c.out.buf, fields)
	return c, nil
}

// NewCSVBody is NewCSV without the header row: for the second and later parts
// of a file that is written in parts and joined.
func NewCSVBody(w io.Writer, fields []userport.Field) (*CSV, error) {
	if len(fields) == 0 {
		fields = DefaultCSVFields()
	}
	paths, err := parseFields(fields)
	if err != nil {
		return nil, err
	}
	c := &CSV{
		out:    newOutput(w),
		res:    fieldpath.NewResolver(paths...),
		bare:   make([]bool, len(paths)),
		vals:   make([]fieldpath.Value, len(paths)),
		counts: make(counts, len(paths)),
	}
	for i, p := range paths {
		c.bare[i] = isSystemDate(p.String())
		if p.String() == "user_id" {
			c.idCols = append(c.idCols, i)
		}
	}
	return c, nil
}

// incremental adds the deleted_at column, last: to the header row, which
// NewCSV has just buffered, and to every row from now on.
func (c *CSV) incremental() {
	c.deleted = true
	if n := len(c.out.buf); n > 0 && c.out.buf[n-1] == '\n' {
		c.out.buf = append(c.out.buf[:n-1], ",deleted_at\n"...)
	}
}

func isSystemDate(path string) bool {
	switch path {
	case "created_at", "updated_at", "last_login", "last_password_reset":
		return true
	}
	return false
}

func appendHeader(buf []byte, fields []userport.Field) []byte {
	for i, f := range fields {
		if i > 0 {
			buf = append(buf, ',')
		}
		name := f.ExportAs
		if name == "" {
			name = f.Name
		}
		switch {
		case startsLikeFormula(name):
			buf = appendGuarded(buf, []byte(name))
		case strings.ContainsAny(name, ",\"\r\n"):
			buf = appendQuoted(append(buf, '"'), []byte(name))
		default:
			buf = append(buf, name...)
		}
	}
	return append(buf, '\n')
}

// Encode writes one row for the user whose profile is doc. A write error is
// sticky; an ErrInvalidDocument error is not, and writes nothing.
func (c *CSV) Encode(doc []byte) error {
	if err := c.out.ready(); err != nil {
		return err
	}
	if err := c.res.Resolve(doc, c.vals); err != nil {
		return invalid(err)
	}
	mark := len(c.out.buf)
	for i, v := range c.vals {
		if i > 0 {
			c.out.buf = append(c.out.buf, ',')
		}
		var err error
		if c.out.buf, err = c.appendCell(c.out.buf, v, c.bare[i]); err != nil {
			c.out.buf = c.out.buf[:mark]
			return invalid(err)
		}
	}
	if c.deleted {
		c.out.buf = append(c.out.buf, ',') // deleted_at: a live user
	}
	c.out.buf = append(c.out.buf, '\n')
	c.counts.add(c.vals)
	return c.out.endRecord()
}

// EncodeTombstone writes the row of a deleted user: its user_id in the
// user_id column(s), its deleted_at in the last column, every other cell
// empty. Only an incremental export's encoder writes them.
func (c *CSV) EncodeTombstone(t userport.Tombstone) error {
	if err := c.out.readyTombstone(c.deleted); err != nil {
		return err
	}
	id := 0
	for i := range c.vals {
		if i > 0 {
			c.out.buf = append(c.out.buf, ',')
		}
		if id < len(c.idCols) && c.idCols[id] == i {
			c.out.buf = appendGuarded(c.out.buf, []byte(t.UserID))
			id++
		}
	}
	c.out.buf = appendTime(append(c.out.buf, ','), t.DeletedAt)
	c.out.buf = append(c.out.buf, '\n')
	return c.out.endRecord()
}

// FieldCounts returns, per column, how many users had a value there.
func (c *CSV) FieldCounts() []int64 { return c.counts }

// Close flushes the buffered rows (and the header) and returns the sticky
// error. It does not close the underlying writer.
func (c *CSV) Close() error { return c.out.close() }

func (c *CSV) appendCell(buf []byte, v fieldpath.Value, bare bool) ([]byte, error) {
	switch v.Type {
	case fieldpath.String:
		if bare && looksLikeDate(v.Raw) {
			return append(buf, v.Raw...), nil
		}
		return c.appendString(buf, v.Raw)
	case fieldpath.Number, fieldpath.Bool:
		return append(buf, v.Raw...), nil
	case fieldpath.Object, fieldpath.Array:
		return c.appendJSON(buf, v.Raw)
	}
	return buf, nil // null, absent
}

// looksLikeDate reports whether a system date can be written bare: a digit
// first, then only digits and -:.TZ+ (so never a formula, a quote or a comma).
func looksLikeDate(b []byte) bool {
	if len(b) == 0 || b[0] < '0' || b[0] > '9' {
		return false
	}
	for _, ch := range b {
		if (ch < '0' || ch > '9') && ch != '-' && ch != ':' && ch != '.' && ch != 'T' && ch != 'Z' && ch != '+' {
			return false
		}
	}
	return true
}

// appendString appends the guarded cell of a JSON string's raw content.
func (c *CSV) appendString(buf, raw []byte) ([]byte, error) {
	text := raw
	if bytes.IndexByte(raw, '\\') >= 0 {
		if cap(c.unesc) < len(raw) {
			c.unesc = make([]byte, 0, 2*len(raw))
		}
		var err error
		if text, err = jsonparser.Unescape(raw, c.unesc[:len(raw)]); err != nil {
			return buf, err
		}
	}
	return appendGuarded(buf, text), nil
}

// appendJSON appends the guarded cell of an object's or array's compact JSON.
func (c *CSV) appendJSON(buf, raw []byte) ([]byte, error) {
	c.compact.Reset()
	if err := json.Compact(&c.compact, raw); err != nil {
		return buf, err
	}
	return appendGuarded(buf, c.compact.Bytes()), nil
}

// formulaStarters are what a spreadsheet starts a formula (or a DDE
// command) with, and their fullwidth forms, which some spreadsheets read as
// the same.
const formulaStarters = "=+-@\uff1d\uff0b\uff0d\uff20"

// startsLikeFormula reports whether a spreadsheet could take text for a
// formula: it starts with a control character (a tab, a carriage return, a
// NUL, ...), or, after white space and control characters, with one of
// formulaStarters (" =1", "\uff1d1").
func startsLikeFormula(text string) bool {
	if text == "" {
		return false
	}
	if r, _ := utf8.DecodeRuneInString(text); unicode.IsControl(r) {
		return true
	}
	rest := strings.TrimLeftFunc(text, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
	r, _ := utf8.DecodeRuneInString(rest)
	return rest != "" && strings.ContainsRune(formulaStarters, r)
}

// appendGuarded appends text as a cell no spreadsheet runs as a formula: in
// double quotes, inner quotes doubled, behind a ' prefix. Every string cell
// is written so, and a header cell that starts like a formula.
func appendGuarded(buf, text []byte) []byte {
	return appendQuoted(append(buf, '"', '\''), text)
}

// appendQuoted appends text with its quotes doubled, then the closing quote;
// the opening quote (and prefix) are the caller's.
func appendQuoted(buf, text []byte) []byte {
	for {
		i := bytes.IndexByte(text, '"')
		if i < 0 {
			break
		}
		buf = append(buf, text[:i+1]...)
		buf = append(buf, '"')
		text = text[i+1:]
	}
	buf = append(buf, text...)
	return append(buf, '"')
}
