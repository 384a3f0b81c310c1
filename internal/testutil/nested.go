package testutil

import "strings"

// Nested returns a JSON object nested levels deep ({"a":{"a":{}}} is 3):
// put under a key of a document, it makes the document levels+1 deep.
func Nested(levels int) string {
	return strings.Repeat(`{"a":`, levels-1) + `{}` + strings.Repeat(`}`, levels-1)
}
