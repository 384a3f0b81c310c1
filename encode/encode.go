// Package encode writes exported users as CSV, with Auth0's cell rules, as
// NDJSON, one JSON object per line, or as Parquet, a typed column per field. It reads each user's stored profile as raw
// JSON bytes and picks the requested fields out of them without decoding the
// whole document (package fieldpath).
//
// The encoders follow encoding/csv's writer contract: Encode writes one user,
// Close flushes and returns the first write error, which is sticky. Close does
// not close the underlying writer. Encoders buffer their output (about 64 KiB)
// and allocate nothing per user once warm. They are not safe for concurrent
// use.
//
// Documents are expected to be what the store keeps: a valid JSON object. The
// encoders do not validate every document (that would cost more than the
// rest), but they never panic and they report what they notice to be malformed
// (ErrInvalidDocument) without writing anything for that user.
package encode

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/fieldpath"
)

// Encoder writes users, one per Encode call. *CSV, *NDJSON and *Parquet
// implement it.
type Encoder interface {
	// Encode writes the user whose profile is doc (raw JSON).
	Encode(doc []byte) error
	// EncodeTombstone writes a deleted user. Only the encoders of
	// incremental exports (NewIncremental) write tombstones; the others
	// return ErrNotIncremental.
	EncodeTombstone(t userport.Tombstone) error
	// FieldCounts returns, per field (of the effective list: DefaultCSVFields
	// for a CSV encoder given none), how many of the users written so far
	// had a value there: present and not null. An NDJSON encoder of every
	// root attribute has no fields, and returns nil. The slice is the
	// encoder's own, updated by later calls.
	FieldCounts() []int64
	// Close flushes buffered output and returns the sticky error, if any. It
	// does not close the underlying writer. An encoder that wrote users must
	// be closed, even after an error: a Parquet encoder runs a goroutine
	// until then.
	Close() error
}

// ErrNotIncremental is returned by EncodeTombstone of an encoder made by
// New: only an incremental export's file has tombstones.
var ErrNotIncremental = errors.New("encode: tombstones belong to incremental exports")

// ErrInvalidDocument is returned (wrapped) by Encode when a user's document is
// noticed to be malformed. It is not sticky: nothing was written for that user
// and the encoder can go on.
var ErrInvalidDocument = errors.New("encode: invalid user document")

// ErrClosed is returned by Encode after Close.
var ErrClosed = errors.New("encode: encoder is closed")

// New returns the encoder for format, writing to w. No fields means the
// default of the format: DefaultCSVFields for CSV and Parquet, every root
// attribute for JSON.
func New(w io.Writer, format userport.Format, fields []userport.Field) (Encoder, error) {
	return newEncoder(w, format, fields, false)
}

func newEncoder(w io.Writer, format userport.Format, fields []userport.Field, incremental bool) (Encoder, error) {
	switch format {
	case userport.FormatParquet:
		p, err := newParquet(w, fields, incremental, ParquetLimits{})
		if err != nil {
			return nil, err
		}
		return p, nil
	case userport.FormatCSV:
		c, err := NewCSV(w, fields)
		if err != nil {
			return nil, err
		}
		return c, nil
	case userport.FormatJSON:
		n, err := NewNDJSON(w, fields)
		if err != nil {
			return nil, err
		}
		return n, nil
	}
	return nil, fmt.Errorf("unknown export format %q", format)
}

// NewIncremental returns the encoder of an incremental export's file, which
// has tombstones after the users: an NDJSON line {"user_id":...,"deleted_at":...}
// each, and in CSV and Parquet a last column deleted_at, empty (null) for
// the users, which a tombstone's row fills with the user_id (in every column
// of the field user_id) and deleted_at, the other cells empty (null). A CSV
// or Parquet file needs the field user_id among its columns, and so does an
// NDJSON file with fields (ValidateIncremental).
func NewIncremental(w io.Writer, format userport.Format, fields []userport.Field) (Encoder, error) {
	if err := checkIncremental(format, fields); err != nil {
		return nil, err
	}
	enc, err := newEncoder(w, format, fields, true)
	if err != nil {
		return nil, err
	}
	switch e := enc.(type) {
	case *CSV:
		e.incremental()
	case *NDJSON:
		e.tombstones = true
	}
	return enc, nil
}

// ValidateIncremental reports whether NewIncremental would accept format
// and fields: Validate's rules, and user_id among the fields (a tombstone
// names its user by user_id, and a live user must be named likewise), and
// in Parquet no field named deleted_at.
func ValidateIncremental(format userport.Format, fields []userport.Field) error {
	_, err := NewIncremental(io.Discard, format, fields)
	return err
}

func checkIncremental(format userport.Format, fields []userport.Field) error {
	if len(fields) == 0 {
		return nil // every root attribute (JSON), or DefaultCSVFields, which start with user_id
	}
	for _, f := range fields {
		if f.Name == "user_id" {
			return nil
		}
	}
	return errors.New("an incremental export needs the field user_id among its fields")
}

// Validate reports whether New would accept format and fields: every path
// parses and, for JSON, no two fields write the same place; for Parquet, no
// two columns have the same name. The error message
// says what is wrong and is meant for API callers. The API's own limits (30
// fields, 100 characters, no whole objects in CSV) are not checked here.
func Validate(format userport.Format, fields []userport.Field) error {
	_, err := New(io.Discard, format, fields)
	return err
}

// DefaultCSVFields returns the fields a CSV export has when none are given.
func DefaultCSVFields() []userport.Field {
	names := []string{
		"user_id", "email", "email_verified", "username", "phone_number", "phone_verified",
		"name", "given_name", "family_name", "nickname", "picture", "identities[0].connection",
		"created_at", "updated_at", "last_login", "last_ip", "logins_count", "blocked",
	}
	fields := make([]userport.Field, len(names))
	for i, n := range names {
		fields[i].Name = n
	}
	return fields
}

// parseFields parses the path of every field.
func parseFields(fields []userport.Field) ([]fieldpath.Path, error) {
	paths := make([]fieldpath.Path, len(fields))
	for i, f := range fields {
		p, err := fieldpath.Parse(f.Name)
		if err != nil {
			return nil, err
		}
		paths[i] = p
	}
	return paths, nil
}

// flushSize is how much output an encoder buffers before writing it.
const flushSize = 64 << 10

// output is the buffer and sticky error that both encoders share.
type output struct {
	w      io.Writer
	buf    []byte
	err    error
	closed bool
}

func newOutput(w io.Writer) output {
	return output{w: w, buf: make([]byte, 0, flushSize+flushSize/4)}
}

// ready returns the error that stops Encode before it starts.
func (o *output) ready() error {
	if o.closed {
		return ErrClosed
	}
	return o.err
}

// readyTombstone returns the error that stops EncodeTombstone before it
// starts: ready's, or ErrNotIncremental for a full export's encoder.
func (o *output) readyTombstone(incremental bool) error {
	if err := o.ready(); err != nil {
		return err
	}
	if !incremental {
		return ErrNotIncremental
	}
	return nil
}

// endRecord writes the buffer out once it is full enough.
func (o *output) endRecord() error {
	if len(o.buf) >= flushSize {
		return o.flush()
	}
	return nil
}

func (o *output) flush() error {
	if o.err != nil || len(o.buf) == 0 {
		return o.err
	}
	n, err := o.w.Write(o.buf)
	if err == nil && n < len(o.buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		o.err = fmt.Errorf("encode: write: %w", err)
	}
	o.buf = o.buf[:0]
	return o.err
}

// close flushes once; later calls return the same error.
func (o *output) close() error {
	if o.closed {
		return o.err
	}
	o.closed = true
	return o.flush()
}

// counts is the per-field tally of values behind FieldCounts.
type counts []int64

// add counts the values of one written user.
func (c counts) add(vals []fieldpath.Value) {
	for i, v := range vals {
		if v.Type != fieldpath.Absent && v.Type != fieldpath.Null {
			c[i]++
		}
	}
}

// appendTime appends t as the system writes dates (userport.TimeFormat).
func appendTime(buf []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(buf, userport.TimeFormat)
}

func invalid(err error) error {
	return fmt.Errorf("%w: %w", ErrInvalidDocument, err)
}
