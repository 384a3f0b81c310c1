// Package importer is the streaming import of users: it reads an uploaded
// file (a JSON array, as Auth0's import takes, or NDJSON, as exports write;
// either of them gzip'd, told apart by their bytes), validates each record
// against Auth0's import schema (plus the attributes an export writes), and
// writes the users batch by batch, each batch with the job's cursor in one
// store transaction, so that a stopped import resumes where it stopped.
package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"

	"github.com/userport/userport"
)

// Format is the layout of an import file's records.
type Format string

// Formats an import file may have.
const (
	FormatArray  Format = "array"  // one JSON array of user objects (Auth0's import format)
	FormatNDJSON Format = "ndjson" // one user object after the other (exports' format)
)

// readBufferSize is the size of the buffers between the file, gzip and JSON.
const readBufferSize = 256 << 10

// Reader reads the records of an import file one at a time; memory is
// bounded by the largest record, whatever the size of the file.
type Reader struct {
	src     *countingReader
	dec     *json.Decoder
	format  Format
	gzipped bool
	records int64 // records read so far
	done    bool
}

// NewReader detects the compression and the format of the file r and
// returns a reader positioned at its first record. A file that is neither a
// JSON array nor NDJSON (gzip'd or not) is an EINVALID error.
func NewReader(r io.Reader) (*Reader, error) {
	src := &countingReader{r: r}
	br := bufio.NewReaderSize(src, readBufferSize)
	rd := &Reader{src: src}
	var body io.Reader = br
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, rd.fail(err)
		}
		rd.gzipped, body = true, zr
	}
	bb := bufio.NewReaderSize(body, readBufferSize)
	first, err := firstByte(bb)
	if err != nil {
		return nil, rd.fail(err)
	}
	rd.dec = json.NewDecoder(bb)
	switch first {
	case '[':
		rd.format = FormatArray
		if _, err := rd.dec.Token(); err != nil {
			return nil, rd.fail(err)
		}
	case '{':
		rd.format = FormatNDJSON
	default:
		return nil, invalidFile("the file is neither a JSON array nor NDJSON (it starts with %q)", first)
	}
	return rd, nil
}

// firstByte returns the first byte that is not white space or a UTF-8 byte
// order mark, leaving it unread.
func firstByte(br *bufio.Reader) (byte, error) {
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xef, 0xbb, 0xbf}) {
		_, _ = br.Discard(3)
	}
	for {
		b, err := br.ReadByte()
		if errors.Is(err, io.EOF) {
			return 0, invalidFile("the file has no users")
		} else if err != nil {
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b, br.UnreadByte()
	}
}

// Format returns the file's format.
func (r *Reader) Format() Format { return r.format }

// Gzipped reports whether the file is gzip'd.
func (r *Reader) Gzipped() bool { return r.gzipped }

// BytesRead returns how many bytes of the file (compressed, when it is) have
// been read so far; read-ahead buffers make it run slightly ahead of the
// records returned.
func (r *Reader) BytesRead() int64 { return r.src.n }

// Records returns how many records Next has returned.
func (r *Reader) Records() int64 { return r.records }

// Next returns the next record, as it is in the file, or io.EOF after the
// last one. A syntax error, a corrupt gzip stream or data after the array is
// an EINVALID error naming the record; an error reading the file is returned
// as it is.
func (r *Reader) Next() (json.RawMessage, error) {
	if r.done {
		return nil, io.EOF
	}
	if r.format == FormatArray && !r.dec.More() {
		return nil, r.endArray()
	}
	var raw json.RawMessage
	if err := r.dec.Decode(&raw); errors.Is(err, io.EOF) && r.format == FormatNDJSON {
		r.done = true
		return nil, io.EOF
	} else if err != nil {
		return nil, r.fail(err)
	}
	r.records++
	return raw, nil
}

// Skip reads and drops n records (those a resumed job has written already).
func (r *Reader) Skip(n int64) error {
	for range n {
		if _, err := r.Next(); errors.Is(err, io.EOF) {
			return invalidFile("the file has %d records, fewer than the %d already imported", r.records, n)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// endArray reads the closing bracket and checks that nothing follows.
func (r *Reader) endArray() error {
	if _, err := r.dec.Token(); err != nil {
		return r.fail(err)
	}
	if _, err := r.dec.Token(); !errors.Is(err, io.EOF) {
		return invalidFile("the file has data after its JSON array")
	}
	r.done = true
	return io.EOF
}

// fail turns a decoding error into the error Next returns: errors reading
// the file itself pass through, anything else means the file is not valid.
func (r *Reader) fail(err error) error {
	var re *readError
	var ue *userport.Error
	if errors.As(err, &re) {
		return re.err
	} else if errors.As(err, &ue) {
		return err
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return invalidFile("record %d, after byte %d of the JSON: %v", r.records, r.offset(), err)
}

// offset is the decoder's position in the uncompressed JSON.
func (r *Reader) offset() int64 {
	if r.dec == nil {
		return 0
	}
	return r.dec.InputOffset()
}

// invalidFile is the error of a file that cannot be read as users.
func invalidFile(format string, args ...any) error {
	return userport.Errorf(userport.EINVALID, "", "The import file is not valid: %s.", fmt.Sprintf(format, args...))
}

// countingReader counts the bytes read through it and marks its errors, so
// that a failing disk is not taken for a bad file.
type countingReader struct {
	r io.Reader
	n int64
}

// Read implements io.Reader.
func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		err = &readError{err: err}
	}
	return n, err
}

// readError is an error of the underlying file.
type readError struct{ err error }

// Error implements error.
func (e *readError) Error() string { return e.err.Error() }

// Unwrap returns the file's error.
func (e *readError) Unwrap() error { return e.err }
