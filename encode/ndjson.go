package encode

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/userport/userport"
	"github.com/userport/userport/fieldpath"
)

// NDJSON writes users as newline-delimited JSON: one object per user, "\n"
// after each.
//
// With no fields, each line is the whole stored profile, copied as is (a
// profile with a line break in it is compacted first).
//
// With fields, each line holds the fields in order, values copied as raw JSON:
//
//   - a field with export_as is a top-level key named export_as;
//   - otherwise the value keeps its place in the profile: "email" gives
//     {"email":...}, "user_metadata.consent.given" gives
//     {"user_metadata":{"consent":{"given":...}}}, and fields that share a
//     prefix merge into one nested object, in the order the prefix first
//     appears;
//   - an index makes an array holding only the requested elements, in index
//     order, without gaps: "identities[1].connection" alone gives
//     {"identities":[{"connection":...}]};
//   - an absent value leaves its key out, and a parent left empty is left out
//     too; null is written as null. A user with none of the fields is {}.
//
// Two fields that would write the same key, or a value and something inside
// it ("user_metadata" and "user_metadata.consent"), are refused by NewNDJSON.
//
// The file of an incremental export (NewIncremental) has a line for each
// tombstone (a deleted user): {"user_id":"...","deleted_at":"..."}, the time
// as the system writes dates.
type NDJSON struct {
	out        output
	res        *fieldpath.Resolver // nil: every root attribute
	root       *member
	vals       []fieldpath.Value
	counts     counts
	tombstones bool         // an incremental export's encoder
	compact    bytes.Buffer // scratch for documents with line breaks
}

// NewNDJSON returns an NDJSON encoder of fields that writes to w; no fields
// means every root attribute (NewNDJSONAll). The error says which field path is
// malformed or which fields collide.
func NewNDJSON(w io.Writer, fields []userport.Field) (*NDJSON, error) {
	if len(fields) == 0 {
		return NewNDJSONAll(w), nil
	}
	paths, err := parseFields(fields)
	if err != nil {
		return nil, err
	}
	root, err := plan(fields, paths)
	if err != nil {
		return nil, err
	}
	return &NDJSON{
		out:    newOutput(w),
		res:    fieldpath.NewResolver(paths...),
		root:   root,
		vals:   make([]fieldpath.Value, len(paths)),
		counts: make(counts, len(paths)),
	}, nil
}

// NewNDJSONAll returns an NDJSON encoder that writes each profile whole: every
// root attribute, the default of a JSON export.
func NewNDJSONAll(w io.Writer) *NDJSON {
	return &NDJSON{out: newOutput(w)}
}

// Encode writes one line for the user whose profile is doc. A write error is
// sticky; an ErrInvalidDocument error is not, and writes nothing.
func (n *NDJSON) Encode(doc []byte) error {
	if err := n.out.ready(); err != nil {
		return err
	}
	doc, err := n.oneLine(doc)
	if err != nil {
		return invalid(err)
	}
	if n.res == nil {
		n.out.buf = append(n.out.buf, doc...)
	} else if err := n.res.Resolve(doc, n.vals); err != nil {
		return invalid(err)
	} else {
		n.out.buf, _ = n.appendMembers(append(n.out.buf, '{'), n.root)
		n.out.buf = append(n.out.buf, '}')
		n.counts.add(n.vals)
	}
	n.out.buf = append(n.out.buf, '\n')
	return n.out.endRecord()
}

// EncodeTombstone writes the line of a deleted user. Only an incremental
// export's encoder writes them.
func (n *NDJSON) EncodeTombstone(t userport.Tombstone) error {
	if err := n.out.readyTombstone(n.tombstones); err != nil {
		return err
	}
	n.out.buf = append(append(n.out.buf, `{"user_id":`...), quoteJSON(t.UserID)...)
	n.out.buf = appendTime(append(n.out.buf, `,"deleted_at":"`...), t.DeletedAt)
	n.out.buf = append(n.out.buf, "\"}\n"...)
	return n.out.endRecord()
}

// FieldCounts returns, per field, how many users had a value there; nil for
// an encoder of every root attribute.
func (n *NDJSON) FieldCounts() []int64 { return n.counts }

// Close flushes the buffered lines and returns the sticky error. It does not
// close the underlying writer.
func (n *NDJSON) Close() error { return n.out.close() }

// oneLine returns doc, compacted (and so validated) if it has a line break or
// does not start with '{' and end with '}'. Valid JSON without a raw line
// break in it cannot have one inside any of its values either.
func (n *NDJSON) oneLine(doc []byte) ([]byte, error) {
	if len(doc) > 1 && doc[0] == '{' && doc[len(doc)-1] == '}' &&
		bytes.IndexByte(doc, '\n') < 0 && bytes.IndexByte(doc, '\r') < 0 {
		return doc, nil
	}
	n.compact.Reset()
	if err := json.Compact(&n.compact, doc); err != nil {
		return nil, err
	}
	if doc = n.compact.Bytes(); doc[0] != '{' {
		return nil, errors.New("not a JSON object")
	}
	return doc, nil
}

// appendMembers appends the members (or elements) of m that have a value, and
// reports whether there were any.
func (n *NDJSON) appendMembers(buf []byte, m *member) ([]byte, bool) {
	wrote := false
	for _, k := range m.kids {
		mark := len(buf)
		if wrote {
			buf = append(buf, ',')
		}
		buf = append(buf, k.key...)
		var ok bool
		if buf, ok = n.appendValue(buf, k); !ok {
			buf = buf[:mark]
			continue
		}
		wrote = true
	}
	return buf, wrote
}

// appendValue appends m's value: a leaf's raw JSON, or a container of its
// members. ok=false when there is nothing to write.
func (n *NDJSON) appendValue(buf []byte, m *member) (_ []byte, ok bool) {
	if m.slot < 0 {
		open, closer := byte('{'), byte('}')
		if m.array {
			open, closer = '[', ']'
		}
		if buf, ok = n.appendMembers(append(buf, open), m); ok {
			buf = append(buf, closer)
		}
		return buf, ok
	}
	v := n.vals[m.slot]
	switch v.Type {
	case fieldpath.Absent:
		return buf, false
	case fieldpath.String:
		buf = append(append(append(buf, '"'), v.Raw...), '"')
	default:
		buf = append(buf, v.Raw...)
	}
	return buf, true
}
