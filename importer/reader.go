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
	"github.com/tidwall/gjson"

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

// MaxRecordBytes bounds one record of a file (a user is about 1 KB), and so
// the memory a file can make the reader take.
const MaxRecordBytes = 16 << 20

// Bounds of one import file, whatever its size as uploaded: a gzip'd file
// expands a thousandfold at most, and each record costs time (issue 20: a
// 285 KB gzip of 100 million `{}` records kept a worker busy for 309 s).
// A file of 1 GiB gzip'd (the upload cap) as exports write it holds about
// 6,000,000 users and 5 GiB of JSON.
const (
	// DefaultMaxRecords is the most records one import file may hold.
	DefaultMaxRecords = 10_000_000
	// DefaultMaxJSONBytes is the most bytes of JSON one import file may
	// hold once decompressed.
	DefaultMaxJSONBytes = 16 << 30
)

// Limits bound what a Reader reads of one file; a file over either is an
// EINVALID error when the reader gets there. Zero fields take the defaults.
type Limits struct {
	Records   int64 // most records (DefaultMaxRecords)
	JSONBytes int64 // most bytes of JSON, decompressed (DefaultMaxJSONBytes)
}

// withDefaults returns l with its zero fields set to the defaults.
func (l Limits) withDefaults() Limits {
	if l.Records <= 0 {
		l.Records = DefaultMaxRecords
	}
	if l.JSONBytes <= 0 {
		l.JSONBytes = DefaultMaxJSONBytes
	}
	return l
}

// Reader reads the records of an import file one at a time; memory is
// bounded by the largest record, whatever the size of the file, and time by
// its Limits.
//
// It finds where each record ends with a byte scan that tracks strings and
// nesting, then checks the record with a fast JSON validator: about a fifth
// of the cost of encoding/json's Decoder, which scans every record twice.
type Reader struct {
	src     *countingReader
	file    *bufio.Reader // the file, as read: its buffer is read ahead
	br      *bufio.Reader // the JSON, decompressed (file itself when not gzip'd)
	format  Format
	gzipped bool
	records int64 // records read so far
	limits  Limits
	offset  int64 // bytes of the JSON consumed
	lines   int64 // line ends consumed
	start   int64 // offset of the record being read
	line    int64 // the line where the record being read starts, from 1
	done    bool
}

// NewReader detects the compression and the format of the file r and
// returns a reader positioned at its first record, under the default
// Limits. A file that is neither a JSON array nor NDJSON (gzip'd or not) is
// an EINVALID error.
func NewReader(r io.Reader) (*Reader, error) { return NewLimitedReader(r, Limits{}) }

// NewLimitedReader is NewReader under the limits lim.
func NewLimitedReader(r io.Reader, lim Limits) (*Reader, error) {
	src := &countingReader{r: r}
	br := bufio.NewReaderSize(src, readBufferSize)
	rd := &Reader{src: src, file: br, limits: lim.withDefaults()}
	var body io.Reader = br
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, rd.fail(err)
		}
		rd.gzipped, body = true, zr
	}
	rd.br = bufio.NewReaderSize(&boundedReader{r: body, max: rd.limits.JSONBytes}, readBufferSize)
	if bom, _ := rd.br.Peek(3); bytes.Equal(bom, []byte{0xef, 0xbb, 0xbf}) {
		rd.discard(3)
	}
	first, err := rd.skipSpace()
	if errors.Is(err, io.EOF) {
		return nil, invalidFile("the file has no users")
	} else if err != nil {
		return nil, rd.fail(err)
	}
	switch first {
	case '[':
		rd.format = FormatArray
		rd.discard(1)
	case '{':
		rd.format = FormatNDJSON
	default:
		return nil, invalidFile("the file is neither a JSON array nor NDJSON (it starts with %q)", first)
	}
	return rd, nil
}

// Format returns the file's format.
func (r *Reader) Format() Format { return r.format }

// Gzipped reports whether the file is gzip'd.
func (r *Reader) Gzipped() bool { return r.gzipped }

// BytesRead returns how many bytes of the file (compressed, when it is) have
// been consumed so far: by the JSON scan, or by the gzip reader, which reads
// the file's buffer one byte at a time. The bytes buffered ahead do not
// count: a compressed file of a few hundred kilobytes is read ahead whole,
// and its progress would read 99 % from the start (issue 10). Only the
// decompressed buffer (256 KiB of JSON) runs ahead of the records returned.
func (r *Reader) BytesRead() int64 { return r.src.n - int64(r.file.Buffered()) }

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
	c, err := r.skipSpace()
	if errors.Is(err, io.EOF) && r.format == FormatNDJSON {
		r.done = true
		return nil, io.EOF
	} else if err != nil {
		r.mark()
		return nil, r.fail(err)
	}
	if r.format == FormatArray {
		if c, err = r.arraySeparator(c); err != nil || r.done {
			return nil, err
		}
	}
	if r.records == r.limits.Records {
		return nil, userport.Errorf(userport.EINVALID, "",
			"The import file holds more than %d users, the most one import takes: split it into several files.", r.limits.Records)
	}
	r.mark()
	raw, err := r.value(c)
	if err != nil {
		return nil, r.fail(err)
	}
	if !tooDeepToValidate(raw) && !gjson.ValidBytes(raw) {
		return nil, r.fail(errors.New("the record is not valid JSON"))
	}
	r.records++
	return raw, nil
}

// arraySeparator consumes what comes between two elements of the array: a
// comma (none before the first), or the closing bracket, after which only
// white space may follow. It returns the first byte of the next element.
func (r *Reader) arraySeparator(c byte) (byte, error) {
	if c == ']' {
		r.discard(1)
		if _, err := r.skipSpace(); !errors.Is(err, io.EOF) {
			return 0, invalidFile("the file has data after its JSON array")
		}
		r.done = true
		return 0, io.EOF
	}
	if r.records == 0 {
		return c, nil
	}
	if c != ',' {
		r.mark()
		return 0, r.fail(fmt.Errorf("invalid character %q after array element", c))
	}
	r.discard(1)
	c, err := r.skipSpace()
	if err != nil {
		r.mark()
		return 0, r.fail(err)
	}
	return c, nil
}

// skipSpace consumes white space and returns the next byte, unread.
func (r *Reader) skipSpace() (byte, error) {
	for {
		buf, err := r.window()
		if err != nil {
			return 0, err
		}
		for i, c := range buf {
			if c != ' ' && c != '\n' && c != '\r' && c != '\t' {
				r.discard(i)
				return c, nil
			}
		}
		r.discard(len(buf))
	}
}

// window returns the buffered bytes, reading more when there are none.
func (r *Reader) window() ([]byte, error) {
	if n := r.br.Buffered(); n > 0 {
		return r.br.Peek(n)
	}
	if _, err := r.br.Peek(1); err != nil {
		return nil, err
	}
	return r.br.Peek(r.br.Buffered())
}

// discard consumes n buffered bytes, counting the line ends among them.
func (r *Reader) discard(n int) {
	b, _ := r.br.Peek(n)
	r.lines += int64(bytes.Count(b, []byte{'\n'}))
	_, _ = r.br.Discard(n)
	r.offset += int64(n)
}

// mark notes that the record being read starts here.
func (r *Reader) mark() {
	r.start, r.line = r.offset, r.lines+1
}

// value consumes the JSON value that starts with c and returns a copy of
// it. Objects, arrays and strings end at their closing byte (strings and
// escapes tracked); other values at the first delimiter.
func (r *Reader) value(c byte) ([]byte, error) {
	var out []byte
	s := scanState{container: c == '{' || c == '[', str: c == '"'}
	first := true
	for {
		buf, err := r.window()
		if errors.Is(err, io.EOF) && !s.container && !s.str && len(out) > 0 {
			return out, nil // a number or literal at the very end
		} else if err != nil {
			return nil, err
		}
		end := s.scan(buf, first) // -1: the value goes on past buf
		first = false
		n := end
		if end < 0 {
			n = len(buf)
		}
		out = append(out, buf[:n]...)
		r.discard(n)
		if len(out) > MaxRecordBytes {
			return nil, fmt.Errorf("the record is longer than %d bytes", MaxRecordBytes)
		}
		if end >= 0 {
			return out, nil
		}
	}
}

// scanState follows a value across buffer windows.
type scanState struct {
	container bool // an object or array
	str       bool // a string at the top level
	depth     int
	inString  bool
	escaped   bool
}

// scan returns how many bytes of buf complete the value, or -1 if it goes on.
func (s *scanState) scan(buf []byte, first bool) int {
	if !s.container && !s.str {
		for i, c := range buf {
			switch c {
			case ' ', '\t', '\r', '\n', ',', ']', '}':
				return i
			}
		}
		return -1
	}
	start := 0
	if first && s.str { // the opening quote of a top-level string
		s.inString, start = true, 1
	}
	for i := start; i < len(buf); i++ {
		c := buf[i]
		switch {
		case s.escaped:
			s.escaped = false
		case s.inString:
			if c == '\\' {
				s.escaped = true
			} else if c == '"' {
				s.inString = false
				if s.str {
					return i + 1
				}
			}
		case c == '"':
			s.inString = true
		case c == '{' || c == '[':
			s.depth++
		case c == '}' || c == ']':
			if s.depth--; s.depth == 0 {
				return i + 1
			}
		}
	}
	return -1
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

// fail turns a reading error into the error Next returns: errors reading
// the file itself pass through, anything else means the file is not valid,
// at the record being read: numbered from 1, as editors number lines
// (NDJSON's record n is on line n), with the line where it starts.
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
	return invalidFile("record %d (line %d, at byte offset %d of the JSON): %v", r.records+1, r.line, r.start, err)
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

// boundedReader reads r until more than max bytes came through it, then
// fails: the JSON of a file, decompressed, under Limits.JSONBytes.
type boundedReader struct {
	r    io.Reader
	max  int64
	read int64
}

// Read implements io.Reader.
func (b *boundedReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if b.read += int64(n); b.read > b.max {
		return 0, userport.Errorf(userport.EINVALID, "",
			"The import file holds more than %d bytes of JSON once decompressed, the most one import reads: split it into several files.", b.max)
	}
	return n, err
}
