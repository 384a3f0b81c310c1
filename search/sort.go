package search

import (
	"regexp"
	"strings"
)

// Sort is the order of search results: by a field's first value (users
// without one last), then by user_id. The zero Sort is by user_id.
type Sort struct {
	field *field
	desc  bool
}

// sortPattern is the sort parameter's pattern in Auth0's API.
var sortPattern = regexp.MustCompile(`^(([a-zA-Z0-9_\.]+))\:(1|-1)$`)

// SortPattern is sortPattern's text, for error messages.
const SortPattern = `^(([a-zA-Z0-9_\.]+))\:(1|-1)$`

// ErrSortPattern is ParseSort's error for a value that is not field:1 or
// field:-1; other errors say what is wrong with the field.
type ErrSortPattern struct{}

// Error names the pattern.
func (ErrSortPattern) Error() string { return "String does not match pattern " + SortPattern }

// ParseSort parses Auth0's sort parameter, "field:1" (ascending) or
// "field:-1" (descending). Sorting by user_metadata or app_metadata is not
// supported, as in Auth0.
func ParseSort(s string) (Sort, error) {
	if !sortPattern.MatchString(s) {
		return Sort{}, ErrSortPattern{}
	}
	name, dir, _ := strings.Cut(s, ":")
	f, err := lookupField(name, 1)
	if err != nil {
		return Sort{}, err
	}
	if f.meta {
		return Sort{}, errorAt(1, "sorting by %s is not supported (app_metadata and user_metadata cannot be sorted by)", name)
	}
	return Sort{field: f, desc: dir == "-1"}, nil
}

// byUserID reports whether s is the default order, user_id ascending.
func (s Sort) byUserID() bool { return s.field == nil || (s.field.name == "user_id" && !s.desc) }

// sortValue is a document's value for a sort.
type sortValue struct {
	v   value
	has bool
}

// valueOf reads the first value of the sort's field in doc.
func (s Sort) valueOf(doc []byte) sortValue {
	if s.field == nil {
		return sortValue{}
	}
	var out sortValue
	eachValue(doc, s.field, func(v value) bool {
		if v.kind == kString || v.kind == kNumber || v.kind == kBool {
			out = sortValue{v: v, has: true}
			return true
		}
		return false
	})
	return out
}

// compareValues orders two values of a sort (ascending; missing values last).
func compareValues(a, b sortValue) int {
	switch {
	case !a.has || !b.has:
		return boolCompare(!a.has, !b.has)
	case a.v.kind != b.v.kind:
		return int(a.v.kind) - int(b.v.kind)
	case a.v.kind == kNumber:
		switch {
		case a.v.num < b.v.num:
			return -1
		case a.v.num > b.v.num:
			return 1
		}
		return 0
	}
	return strings.Compare(a.v.text, b.v.text)
}

// boolCompare orders false before true.
func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
