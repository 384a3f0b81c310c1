package encode

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/buger/jsonparser"
	"github.com/parquet-go/parquet-go"

	"github.com/userport/userport"
	"github.com/userport/userport/fieldpath"
)

// parquetColumn is the type of a Parquet file's column, from Auth0's
// profile schema (userport.ProfileAttribute, userport.IdentityAttribute):
type parquetColumn uint8

const (
	// columnString: a string attribute (UTF8 text, unescaped).
	columnString parquetColumn = iota
	// columnBool: a boolean attribute.
	columnBool
	// columnInt: an integer attribute (logins_count): INT64.
	columnInt
	// columnTime: a date the system writes (created_at, updated_at,
	// last_login, last_password_reset): a TIMESTAMP in milliseconds, UTC.
	columnTime
	// columnJSON: an object or array attribute (user_metadata, app_metadata,
	// identities, identities[n]), or a path the schema does not type
	// (user_metadata.plan: any JSON value): the value's JSON text, of the
	// JSON logical type ("free" is `"free"`, with its quotes).
	columnJSON
)

// String names the column type in error messages.
func (c parquetColumn) String() string {
	return [...]string{"string", "boolean", "integer", "timestamp", "JSON"}[c]
}

// columnOf is the column type of the field at path p.
func columnOf(p fieldpath.Path) parquetColumn {
	a, ok := attributeAt(p)
	if !ok {
		return columnJSON
	}
	switch a.Type {
	case userport.TypeString:
		if a.Format == userport.FormatDateTime {
			return columnTime
		}
		return columnString
	case userport.TypeBoolean:
		return columnBool
	case userport.TypeInteger:
		return columnInt
	}
	return columnJSON
}

// attributeAt is the schema's attribute at p: a root attribute, or a key
// of an identity (identities[n].connection).
func attributeAt(p fieldpath.Path) (userport.Attribute, bool) {
	switch {
	case p.IsRoot():
		return userport.ProfileAttribute(p.Root())
	case p.Len() == 3 && p.Root() == "identities" && p.Segment(1).IsIndex() && !p.Segment(2).IsIndex():
		return userport.IdentityAttribute(p.Segment(2).Key)
	}
	return userport.Attribute{}, false
}

// node is the column's Parquet schema node: optional, so that an absent
// value is a null.
func (c parquetColumn) node() parquet.Node {
	var n parquet.Node
	switch c {
	case columnString:
		n = parquet.String()
	case columnBool:
		n = parquet.Leaf(parquet.BooleanType)
	case columnInt:
		n = parquet.Int(64)
	case columnTime:
		n = parquet.Timestamp(parquet.Millisecond)
	default:
		n = parquet.JSON()
	}
	if n.Type().Kind() == parquet.ByteArray {
		// PLAIN, not parquet-go's default DELTA_LENGTH_BYTE_ARRAY, which
		// Spark's vectorized reader reads only since 3.3.
		n = parquet.Encoded(n, &parquet.Plain)
	}
	return parquet.Optional(n)
}

// parquetSchema is the schema of columns named names, in that order.
func parquetSchema(names []string, cols []parquetColumn) (*parquet.Schema, error) {
	g := make(parquet.Group, len(names))
	for i, name := range names {
		if _, dup := g[name]; dup {
			return nil, fmt.Errorf("two columns are named %q: give one of them another export_as", name)
		}
		g[name] = cols[i].node()
	}
	return parquet.NewSchema("user", orderedGroup{g, names}), nil
}

// orderedGroup is a group whose fields come in the order of names
// (parquet.Group sorts them by name): the fields' order.
type orderedGroup struct {
	parquet.Group
	names []string
}

// Fields returns the group's fields in the order of names.
func (g orderedGroup) Fields() []parquet.Field {
	fields := g.Group.Fields()
	slices.SortFunc(fields, func(a, b parquet.Field) int {
		return slices.Index(g.names, a.Name()) - slices.Index(g.names, b.Name())
	})
	return fields
}

// value is the Parquet value of column i for v.
func (p *Parquet) value(i int, v fieldpath.Value) (parquet.Value, error) {
	if v.Type == fieldpath.Absent || v.Type == fieldpath.Null {
		return parquet.NullValue().Level(0, 0, i), nil
	}
	var val parquet.Value
	switch c := p.cols[i]; {
	case c == columnString && v.Type == fieldpath.String:
		b, err := p.text(v.Raw)
		if err != nil {
			return val, err
		}
		val = parquet.ByteArrayValue(b)
	case c == columnBool && v.Type == fieldpath.Bool:
		val = parquet.BooleanValue(v.Raw[0] == 't')
	case c == columnInt && v.Type == fieldpath.Number:
		n, err := strconv.ParseInt(string(v.Raw), 10, 64)
		if err != nil {
			return val, fmt.Errorf("%w: %s in an integer column", errColumnType, v.Raw)
		}
		val = parquet.Int64Value(n)
	case c == columnTime && v.Type == fieldpath.String:
		ms, err := parseMillis(v.Raw)
		if err != nil {
			return val, err
		}
		val = parquet.Int64Value(ms)
	case c == columnJSON:
		val = parquet.ByteArrayValue(p.jsonText(v))
	default:
		return val, fmt.Errorf("%w: a %s in a %s column", errColumnType, v.Type, c)
	}
	return val.Level(0, 1, i), nil
}

// text appends the text of a JSON string's raw content to the batch's arena and
// returns it.
func (p *Parquet) text(raw []byte) ([]byte, error) {
	b := p.batch
	start := len(b.arena)
	if slices.Index(raw, '\\') < 0 {
		b.arena = append(b.arena, raw...)
		return b.arena[start:], nil
	}
	b.arena = slices.Grow(b.arena, len(raw))
	out, err := jsonparser.Unescape(raw, b.arena[start:start+len(raw)])
	if err != nil {
		return nil, err
	}
	b.arena = b.arena[:start+len(out)] // out is the arena's, as it has room
	return out, nil
}

// jsonText appends v's JSON text to the batch's arena and returns it.
func (p *Parquet) jsonText(v fieldpath.Value) []byte {
	b := p.batch
	start := len(b.arena)
	if v.Type == fieldpath.String {
		b.arena = append(append(append(b.arena, '"'), v.Raw...), '"')
	} else {
		b.arena = append(b.arena, v.Raw...)
	}
	return b.arena[start:]
}

// parseMillis reads a date as milliseconds since the Unix epoch: the
// system's format (userport.TimeFormat) at once, any RFC 3339 time
// otherwise (as the importer reads dates).
func parseMillis(b []byte) (int64, error) {
	if ms, ok := systemMillis(b); ok {
		return ms, nil
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return 0, fmt.Errorf("%w: %q in a timestamp column", errColumnType, b)
	}
	return t.UnixMilli(), nil
}

// systemMillis reads "2006-01-02T15:04:05.000Z" without time.Parse (three
// dates a user, at hundreds of thousands of users a second); ok is false
// for anything else, an impossible date included.
func systemMillis(b []byte) (ms int64, ok bool) {
	if len(b) != len(userport.TimeFormat) || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' ||
		b[16] != ':' || b[19] != '.' || b[23] != 'Z' {
		return 0, false
	}
	var f [7]int
	for i, span := range [7][2]int{{0, 4}, {5, 7}, {8, 10}, {11, 13}, {14, 16}, {17, 19}, {20, 23}} {
		for _, ch := range b[span[0]:span[1]] {
			if ch < '0' || ch > '9' {
				return 0, false
			}
			f[i] = f[i]*10 + int(ch-'0')
		}
	}
	t := time.Date(f[0], time.Month(f[1]), f[2], f[3], f[4], f[5], f[6]*int(time.Millisecond), time.UTC)
	if t.Month() != time.Month(f[1]) || t.Day() != f[2] || t.Hour() != f[3] || t.Minute() != f[4] || t.Second() != f[5] {
		return 0, false // normalized: not a real date
	}
	return t.UnixMilli(), true
}
