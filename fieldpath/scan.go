package fieldpath

import (
	"encoding/binary"
	"math/bits"

	"github.com/buger/jsonparser"
)

// The scanner below walks raw JSON in place. It recognises what it has to
// (strings, numbers, literals, the structure of objects and arrays) and skips
// values without looking into them, but it does not validate: what it reads of
// a valid document it reads correctly (the fuzz tests check this against
// encoding/json), and on malformed input it returns -1 or an arbitrary value,
// never panics. Offsets are into the whole document.

// skipSpace returns the offset of the first non-whitespace byte at or after i.
func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t') {
		i++
	}
	return i
}

// stringEnd returns the offset just past the closing quote of the string whose
// opening quote is at i-1, or -1.
func stringEnd(data []byte, i int) int {
	end, _ := scanString(data, i)
	return end
}

// scanString is stringEnd that also reports whether the string has escapes.
// It looks at 8 bytes at a time for a quote or a backslash.
func scanString(data []byte, i int) (end int, esc bool) {
	for {
		i = plainRun(data, i)
		if i >= len(data) {
			return -1, esc
		}
		if data[i] == '"' {
			return i + 1, esc
		}
		esc = true
		i += 2 // the escaped byte cannot close the string
	}
}

// plainRun returns the offset of the first '"' or '\\' at or after i, or
// len(data). Words of 8 bytes are tested at once: for x = word ^ (c * lsb),
// (x - lsb) &^ x & msb has its lowest bit set in the lowest byte of x that is
// zero, that is the first byte equal to c.
func plainRun(data []byte, i int) int {
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(data); i += 8 {
		w := binary.LittleEndian.Uint64(data[i:])
		q, b := w^(lsb*'"'), w^(lsb*'\\')
		if m := ((q-lsb)&^q | (b-lsb)&^b) & msb; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(data) && data[i] != '"' && data[i] != '\\'; i++ {
	}
	return i
}

// containerEnd returns the offset just past the object or array that is open
// at depth levels before i, or -1. Bracket kinds are not matched.
func containerEnd(data []byte, i, depth int) int {
	for i < len(data) {
		switch data[i] {
		case '"':
			if i = stringEnd(data, i+1); i < 0 {
				return -1
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return -1
}

// scalarEnd returns the offset of the delimiter after a number or literal.
func scalarEnd(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ',', '}', ']', ' ', '\n', '\r', '\t':
			return i
		}
		i++
	}
	return i
}

// valueAt reads the value that starts at data[i] (no leading whitespace) and
// returns its type and the offset just past it. Absent and -1 mean malformed.
func valueAt(data []byte, i int) (ValueType, int) {
	if i >= len(data) {
		return Absent, -1
	}
	switch data[i] {
	case '"':
		return String, stringEnd(data, i+1)
	case '{':
		return Object, containerEnd(data, i+1, 1)
	case '[':
		return Array, containerEnd(data, i+1, 1)
	}
	end := scalarEnd(data, i)
	if t := scalarType(data[i:end]); t != Absent {
		return t, end
	}
	return Absent, -1
}

// skipValue returns the offset just past the value that starts at data[i] (no
// leading whitespace), or -1.
func skipValue(data []byte, i int) int {
	_, end := valueAt(data, i)
	return end
}

// scalarType classifies a number or literal; Absent when it is neither.
func scalarType(b []byte) ValueType {
	switch string(b) {
	case "true", "false":
		return Bool
	case "null":
		return Null
	}
	if validNumber(b) {
		return Number
	}
	return Absent
}

// rawValue returns what Value.Raw holds for the value at data[start:end].
func rawValue(data []byte, start, end int, t ValueType) []byte {
	if t == String {
		return data[start+1 : end-1 : end-1]
	}
	return data[start:end:end]
}

// member is one "key": value pair of an object being scanned.
type member struct {
	key   []byte // raw, still escaped
	esc   bool   // key contains a backslash
	value int    // offset of the value's first byte
}

// nextMember reads the member at data[i], which follows '{' or ',' (and
// whitespace). It returns ok=false at the closing '}' (next is past it) and
// next=-1 when malformed.
func nextMember(data []byte, i int) (m member, next int, ok bool) {
	if i >= len(data) || data[i] != '"' {
		if i < len(data) && data[i] == '}' {
			return member{}, i + 1, false
		}
		return member{}, -1, false
	}
	end, esc := scanString(data, i+1)
	if end < 0 {
		return member{}, -1, false
	}
	m.key, m.esc = data[i+1:end-1], esc
	i = skipSpace(data, end)
	if i >= len(data) || data[i] != ':' {
		return member{}, -1, false
	}
	m.value = skipSpace(data, i+1)
	return m, m.value, true
}

// afterValue reads the ',' or closer after a value ending at i. It returns the
// offset of the next element (after ','), or done=true and the offset past the
// closer, or -1 when malformed.
func afterValue(data []byte, i int, closer byte) (next int, done bool) {
	if i < 0 {
		return -1, false
	}
	i = skipSpace(data, i)
	switch {
	case i >= len(data):
		return -1, false
	case data[i] == ',':
		return skipSpace(data, i+1), false
	case data[i] == closer:
		return i + 1, true
	}
	return -1, false
}

// unescapedKey returns the member's key, unescaped into buf when it has to be
// (or into a new slice when buf is too small); ok=false for a bad escape.
func (m member) unescapedKey(buf []byte) (key []byte, ok bool) {
	if !m.esc {
		return m.key, true
	}
	k, err := jsonparser.Unescape(m.key, buf)
	return k, err == nil
}

// openAt checks that data[i] (after whitespace) opens a container with open,
// and returns the offset of its first element or closer.
func openAt(data []byte, i int, open byte) int {
	i = skipSpace(data, i)
	if i >= len(data) || data[i] != open {
		return -1
	}
	return skipSpace(data, i+1)
}

// validNumber reports whether b is a JSON number:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i)
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		if i = digits(b, i+1); b[i-1] == '.' {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		if i = digits(b, i); i == start {
			return false
		}
	}
	return i == len(b)
}

// digits returns the offset of the first non-digit in b at or after i.
func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}
