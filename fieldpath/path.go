// Package fieldpath parses the field paths of an export request
// ("email", "user_metadata.consent.given", "identities[0].connection") and
// resolves them over a user's profile kept as raw JSON bytes, without decoding
// the whole document.
//
// Syntax: a path is a key followed by any number of ".key" and "[n]" steps. A
// key is any non-empty run of bytes other than '.', '[' and ']' (custom
// attributes may use letters, digits, '_', '-', '$', spaces, non-ASCII, ...).
// An index n is a decimal integer from 0 to MaxIndex without leading zeros.
// A path always starts with a key, because a profile is an object: "[0]" and
// "[0].a" are malformed. There is no quoting: a key that contains '.', '[' or
// ']' cannot be named.
//
// Every valid path is already in canonical form, so Parse(s).String() == s.
package fieldpath

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxIndex is the largest array index a path may use.
const MaxIndex = 1<<31 - 1

// Segment is one step of a Path: an object key or an array index.
type Segment struct {
	// Key is the object key; "" for an index segment.
	Key string
	// Index is the array index, or -1 for a key segment.
	Index int
}

// IsIndex reports whether s is an array index rather than an object key.
func (s Segment) IsIndex() bool { return s.Index >= 0 }

// String returns "key" or "[n]".
func (s Segment) String() string {
	if s.IsIndex() {
		return "[" + strconv.Itoa(s.Index) + "]"
	}
	return s.Key
}

// Path is a parsed field path. The zero Path is empty: it has no segments,
// prints as "" and never resolves. Paths are immutable and safe for concurrent
// use; compare them with Equal.
type Path struct {
	text string
	segs []Segment
}

// Parse parses a field path. The error says what is wrong and where, for
// example `field path "a..b": empty key at offset 2`.
func Parse(s string) (Path, error) {
	segs, err := parseSegments(s)
	if err != nil {
		return Path{}, fmt.Errorf("field path %q: %w", s, err)
	}
	return Path{text: s, segs: segs}, nil
}

// MustParse is like Parse but panics on error; for tests and constants.
func MustParse(s string) Path {
	p, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return p
}

func parseSegments(s string) ([]Segment, error) {
	if s == "" {
		return nil, errors.New("empty path")
	}
	if s[0] == '[' {
		return nil, errors.New("must start with a key, not an index")
	}
	segs := make([]Segment, 0, 1+strings.Count(s, ".")+strings.Count(s, "["))
	for i := 0; i < len(s); {
		seg, next, err := parseSegment(s, i)
		if err != nil {
			return nil, err
		}
		segs = append(segs, seg)
		i = next
	}
	return segs, nil
}

// parseSegment parses the segment at s[i:] and returns the offset of the next
// one. A key segment after the first is introduced by '.'.
func parseSegment(s string, i int) (Segment, int, error) {
	switch {
	case s[i] == '[':
		return parseIndex(s, i)
	case i == 0:
		return parseKey(s, 0)
	case s[i] == '.':
		return parseKey(s, i+1)
	case s[i] == ']':
		return Segment{}, 0, fmt.Errorf("unexpected ']' at offset %d", i)
	default:
		return Segment{}, 0, fmt.Errorf("expected '.' or '[' at offset %d", i)
	}
}

// parseKey parses a key starting at s[i:].
func parseKey(s string, i int) (Segment, int, error) {
	end := i + strings.IndexAny(s[i:], ".[]")
	if end < i {
		end = len(s)
	}
	if end == i {
		return Segment{}, 0, fmt.Errorf("empty key at offset %d", i)
	}
	if end < len(s) && s[end] == ']' {
		return Segment{}, 0, fmt.Errorf("unexpected ']' at offset %d", end)
	}
	return Segment{Key: s[i:end], Index: -1}, end, nil
}

// parseIndex parses "[n]" starting at s[i] == '['.
func parseIndex(s string, i int) (Segment, int, error) {
	end := strings.IndexByte(s[i:], ']')
	if end < 0 {
		return Segment{}, 0, fmt.Errorf("unclosed '[' at offset %d", i)
	}
	digits := s[i+1 : i+end]
	n, err := parseIndexDigits(digits)
	if err != nil {
		return Segment{}, 0, fmt.Errorf("index %q at offset %d: %w", digits, i, err)
	}
	return Segment{Index: n}, i + end + 1, nil
}

func parseIndexDigits(d string) (int, error) {
	switch {
	case d == "":
		return 0, errors.New("empty index")
	case strings.Trim(d, "0123456789") != "":
		return 0, errors.New("index must be a non-negative integer")
	case len(d) > 1 && d[0] == '0':
		return 0, errors.New("index has a leading zero")
	}
	n, err := strconv.ParseUint(d, 10, 32)
	if err != nil || n > MaxIndex {
		return 0, fmt.Errorf("index is larger than %d", MaxIndex)
	}
	return int(n), nil
}

// String returns the canonical text of p; Parse(p.String()) equals p.
func (p Path) String() string { return p.text }

// Segments returns a copy of p's segments.
func (p Path) Segments() []Segment { return append([]Segment(nil), p.segs...) }

// Len returns the number of segments.
func (p Path) Len() int { return len(p.segs) }

// Segment returns the i-th segment; it panics if i is out of range.
func (p Path) Segment(i int) Segment { return p.segs[i] }

// Root returns the first key of p ("user_metadata" for
// "user_metadata.consent.given"), or "" for the zero Path.
func (p Path) Root() string {
	if len(p.segs) == 0 {
		return ""
	}
	return p.segs[0].Key
}

// IsRoot reports whether p names a root attribute of the profile: a single
// key, like "email".
func (p Path) IsRoot() bool { return len(p.segs) == 1 }

// IsZero reports whether p is the zero (empty) Path.
func (p Path) IsZero() bool { return len(p.segs) == 0 }

// Equal reports whether p and q have the same segments.
func (p Path) Equal(q Path) bool { return p.text == q.text }
