package fieldpath

import "errors"

// ValueType is the JSON type of a resolved value.
type ValueType uint8

// Value types. Absent (the zero value) means the path did not resolve.
const (
	Absent ValueType = iota
	String
	Number
	Bool
	Null
	Object
	Array
)

// String returns the name of t ("string", "number", ..., "absent").
func (t ValueType) String() string {
	switch t {
	case String:
		return "string"
	case Number:
		return "number"
	case Bool:
		return "bool"
	case Null:
		return "null"
	case Object:
		return "object"
	case Array:
		return "array"
	}
	return "absent"
}

// Value is a value resolved in a document. Raw aliases the document's bytes:
//
//   - String: the bytes between the quotes, still JSON-escaped (`a\"b`, `\u00e9`);
//     quote them again to get JSON, or unescape them (jsonparser.Unescape) to
//     get the text.
//   - Number: the number as written (`42`, `-1.5e3`); always a valid JSON number.
//   - Bool, Null: `true`, `false`, `null`.
//   - Object, Array: the bytes from the opening to the matching closing bracket,
//     as stored (whitespace kept; only the brackets and strings are checked).
//   - Absent: nil.
type Value struct {
	Raw  []byte
	Type ValueType
}

// ErrInvalidJSON is returned when the part of a document that had to be read
// to resolve paths is not valid JSON, or the document is not a JSON object.
var ErrInvalidJSON = errors.New("fieldpath: document is not a valid JSON object")

// Lookup resolves p over doc, a JSON object. It returns ok=false when any step
// is missing, has the wrong type (a key into an array, an index into an
// object), or doc is malformed where it had to be read. See Value for what the
// returned bytes hold. When a key occurs twice in an object, the first wins.
// Lookup allocates nothing.
func (p Path) Lookup(doc []byte) (value []byte, typ ValueType, ok bool) {
	if len(p.segs) == 0 {
		return nil, Absent, false
	}
	i := skipSpace(doc, 0)
	for _, s := range p.segs {
		if s.IsIndex() {
			i = findIndex(doc, i, s.Index)
		} else {
			i = findKey(doc, i, s.Key)
		}
		if i < 0 {
			return nil, Absent, false
		}
	}
	t, end := valueAt(doc, i)
	if t == Absent || end < 0 {
		return nil, Absent, false
	}
	return rawValue(doc, i, end, t), t, true
}

// findKey returns the offset of the value of key in the object at data[i], or -1.
func findKey(data []byte, i int, key string) int {
	if i = openAt(data, i, '{'); i < 0 {
		return -1
	}
	var buf [64]byte
	for {
		m, next, ok := nextMember(data, i)
		if !ok {
			return -1
		}
		if k, ok := m.unescapedKey(buf[:]); ok && string(k) == key {
			return next
		}
		var done bool
		if i, done = afterValue(data, skipValue(data, next), '}'); done || i < 0 {
			return -1
		}
	}
}

// findIndex returns the offset of element index of the array at data[i], or -1.
func findIndex(data []byte, i int, index int) int {
	if i = openAt(data, i, '['); i < 0 || i >= len(data) || data[i] == ']' {
		return -1
	}
	for n := 0; n < index; n++ {
		var done bool
		if i, done = afterValue(data, skipValue(data, i), ']'); done || i < 0 {
			return -1
		}
	}
	return i
}
