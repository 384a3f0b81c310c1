// Package encode writes exported users as CSV, with Auth0's cell rules, or as
// NDJSON, one JSON object per line. It reads each user's stored profile as raw
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

	"github.com/userport/userport"
	"github.com/userport/userport/fieldpath"
)

// Encoder writes users, one per Encode call. *CSV and *NDJSON implement it.
type Encoder interface {
	// Encode writes the user whose profile is doc (raw JSON).
	Encode(doc []byte) error
	// Close flushes buffered output and returns the sticky error, if any. It
	// does not close the underlying writer.
	Close() error
}

// ErrInvalidDocument is returned (wrapped) by Encode when a user's document is
// noticed to be malformed. It is not sticky: nothing was written for that user
// and the encoder can go on.
var ErrInvalidDocument = errors.New("encode: invalid user document")

// ErrClosed is returned by Encode after Close.
var ErrClosed = errors.New("encode: encoder is closed")

// New returns the encoder for format, writing to w. No fields means the
// default of the format: DefaultCSVFields for CSV, every root attribute for
// JSON.
func New(w io.Writer, format userport.Format, fields []userport.Field) (Encoder, error) {
	switch format {
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

// Validate reports whether New would accept format and fields: every path
// parses and, for JSON, no two fields write the same place. The error message
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

func invalid(err error) error {
	return fmt.Errorf("%w: %w", ErrInvalidDocument, err)
}
