// Package jsonstrict finds what encoding/json (and the other decoders
// userport uses) let pass silently in a JSON text: a key given twice in one
// object, which they read as its last (or first) value, and invalid UTF-8,
// which they read as U+FFFD; and it owns the one nesting rule (MaxDepth) of
// every JSON text userport accepts. Request bodies and import records are
// checked with it, so that both refuse the same texts.
package jsonstrict

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of objects and arrays in a JSON text that
// userport accepts (a request body, an import record: the text's own object
// is level 1, so a user's user_metadata is level 2). It is the one depth rule
// of the service, checked before anything is written, and far below what the
// stores and decoders refuse: SQLite's JSON functions (the users table's
// json_extract index) fail on documents nested more than 1000 levels deep;
// PostgreSQL 15's jsonb (its doc::jsonb index) runs out of stack between
// 10,000 and 15,000 levels (default max_stack_depth 2MB; jsonpath's .** near
// 11,000); encoding/json stops at 10,000.
const MaxDepth = 100

// Errors of Check, besides *DuplicateKeyError.
var (
	ErrInvalidUTF8 = errors.New("not valid UTF-8")
	ErrTooDeep     = fmt.Errorf("nested more than %d levels deep", MaxDepth)
	ErrSyntax      = errors.New("not valid JSON")
)

// DuplicateKeyError is a key given twice in one object.
type DuplicateKeyError struct {
	Path string // the key's path: "a", "user_metadata.a", "fields[1].name"
}

// Error implements error.
func (e *DuplicateKeyError) Error() string { return "duplicate key " + e.Path }

// Check returns the first problem of data, a JSON text whose syntax the
// caller has checked (json.Valid, gjson.Valid): ErrInvalidUTF8, a
// *DuplicateKeyError (keys compared unescaped, so "a" and "\u0061" are the
// same key), ErrTooDeep, or ErrSyntax for a string it cannot read. It reads
// data once, front to back; memory is bounded by MaxDepth and the keys of
// the open objects.
func Check(data []byte) error {
	if !utf8.Valid(data) {
		return ErrInvalidUTF8
	}
	var frames [16]frame
	var keys [64][]byte
	w := walk{open: frames[:0], keys: keys[:0]}
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '{', '[':
			if len(w.open) == MaxDepth {
				return ErrTooDeep
			}
			w.open = append(w.open, frame{object: c == '{', wantKey: true, start: len(w.keys)})
		case '}', ']', ',':
			if len(w.open) == 0 {
				return ErrSyntax
			}
			w.punct(c)
		case '"':
			end := stringEnd(data, i+1)
			if end < 0 {
				return ErrSyntax
			}
			if err := w.str(data[i:end]); err != nil {
				return err
			}
			i = end - 1
		}
	}
	return nil
}

// TooDeep reports whether data nests objects and arrays deeper than
// MaxDepth. Unlike Check it does not need valid syntax, and it stops at the
// first level too deep: a recursive parser (gjson's validator recurses once
// a level, and a 16 MiB record of brackets overflows the stack) may be
// handed only a text it does not report.
func TooDeep(data []byte) bool {
	depth := 0
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '{', '[':
			if depth++; depth > MaxDepth {
				return true
			}
		case '}', ']':
			depth--
		case '"':
			end := stringEnd(data, i+1)
			if end < 0 {
				return false
			}
			i = end - 1
		}
	}
	return false
}

// walk is where Check is: the open objects and arrays, innermost last,
// and the keys of the open objects, each object's after its parent's.
type walk struct {
	open []frame
	keys [][]byte
}

// frame is an object or array Check is in.
type frame struct {
	object  bool
	wantKey bool // an object: a key comes next
	start   int  // an object: where its keys start in walk.keys
	set     map[string]bool
	n       int // an array: the index of the element being read
}

// punct takes a closing bracket or a comma.
func (w *walk) punct(c byte) {
	f := &w.open[len(w.open)-1]
	switch {
	case c != ',':
		w.keys = w.keys[:f.start]
		w.open = w.open[:len(w.open)-1]
	case f.object:
		f.wantKey = true
	default:
		f.n++
	}
}

// str takes a string (with its quotes): an object's key is checked and
// kept; a value is skipped.
func (w *walk) str(quoted []byte) error {
	if len(w.open) == 0 {
		return nil
	}
	f := &w.open[len(w.open)-1]
	if !f.object || !f.wantKey {
		return nil
	}
	f.wantKey = false
	k := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(k, '\\') >= 0 {
		var s string
		if json.Unmarshal(quoted, &s) != nil {
			return ErrSyntax
		}
		k = []byte(s)
	}
	if w.has(f, k) {
		return w.duplicate(string(k))
	}
	w.keys = append(w.keys, k)
	if f.set != nil {
		f.set[string(k)] = true
	} else if len(w.keys)-f.start > 32 { // few keys: a scan is cheaper than a map
		f.set = make(map[string]bool, 2*(len(w.keys)-f.start))
		for _, k := range w.keys[f.start:] {
			f.set[string(k)] = true
		}
	}
	return nil
}

// has reports whether the object f has key k already.
func (w *walk) has(f *frame, k []byte) bool {
	if f.set != nil {
		return f.set[string(k)]
	}
	for _, have := range w.keys[f.start:] {
		if bytes.Equal(have, k) {
			return true
		}
	}
	return false
}

// stringEnd returns the index just past the closing quote of the string
// whose content starts at i, or -1.
func stringEnd(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case '\\':
			i += 2
		case '"':
			return i + 1
		default:
			i++
		}
	}
	return -1
}

// duplicate is the error of key given twice in the innermost open object,
// with its full path.
func (w *walk) duplicate(key string) error {
	var b strings.Builder
	for i, f := range w.open[:len(w.open)-1] {
		switch {
		case !f.object:
			b.WriteString("[" + strconv.Itoa(f.n) + "]")
			continue
		case w.open[i+1].start == f.start: // a container where a key belongs
			return ErrSyntax
		case b.Len() > 0:
			b.WriteByte('.')
		}
		b.Write(w.keys[w.open[i+1].start-1])
	}
	if b.Len() > 0 {
		b.WriteByte('.')
	}
	return &DuplicateKeyError{Path: b.String() + key}
}
