package search

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/buger/jsonparser"
)

// kind is the kind of a value read from a document.
type kind uint8

const (
	kString kind = iota + 1
	kNumber
	kBool
	kNull
	kEmpty // an empty array or object
	kObject
)

// value is one value of a field in a document.
type value struct {
	kind kind
	text string // a string's text (unescaped), a bool's "true"/"false"
	num  float64
}

// eachValue calls fn with every value of field f in doc, looking through
// arrays at any level (identities.provider reads every identity's), until
// fn returns true; it reports whether fn did.
func eachValue(doc []byte, f *field, fn func(value) bool) bool {
	doc = bytes.TrimLeft(doc, " \t\r\n")
	if len(doc) == 0 || doc[0] != '{' {
		return false
	}
	return walk(doc, jsonparser.Object, f.path, func(v value) bool {
		if f.domain && v.kind == kString {
			at := strings.LastIndexByte(v.text, '@')
			if at < 0 {
				return false
			}
			v.text = v.text[at+1:]
		}
		return fn(v)
	})
}

// walk follows path from data, a value of type t.
func walk(data []byte, t jsonparser.ValueType, path []string, fn func(value) bool) bool {
	if t == jsonparser.Array && (len(path) == 0 || !isIndex(path[0])) {
		found, empty := false, true
		_, _ = jsonparser.ArrayEach(data, func(item []byte, it jsonparser.ValueType, _ int, err error) {
			empty = false
			if !found && err == nil {
				found = walk(item, it, path, fn)
			}
		})
		if empty && len(path) == 0 {
			return fn(value{kind: kEmpty})
		}
		return found
	}
	if len(path) == 0 {
		return fn(toValue(data, t))
	}
	if (t == jsonparser.Array) != isIndex(path[0]) || (t != jsonparser.Array && t != jsonparser.Object) {
		return false
	}
	item, it, _, err := jsonparser.Get(data, path[0])
	if err != nil {
		return false
	}
	return walk(item, it, path[1:], fn)
}

// isIndex reports whether a path step is an array index ("[0]").
func isIndex(step string) bool { return strings.HasPrefix(step, "[") }

// toValue converts a scalar or object.
func toValue(data []byte, t jsonparser.ValueType) value {
	switch t {
	case jsonparser.String:
		s, err := jsonparser.ParseString(data)
		if err != nil {
			return value{}
		}
		return value{kind: kString, text: s}
	case jsonparser.Number:
		f, err := strconv.ParseFloat(string(data), 64)
		if err != nil {
			return value{}
		}
		return value{kind: kNumber, num: f, text: string(data)}
	case jsonparser.Boolean:
		return value{kind: kBool, text: string(data)}
	case jsonparser.Null:
		return value{kind: kNull}
	case jsonparser.Object:
		if len(bytes.Trim(data, "{} \t\r\n")) == 0 {
			return value{kind: kEmpty}
		}
		return value{kind: kObject}
	}
	return value{}
}
