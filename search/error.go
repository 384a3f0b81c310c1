package search

import "fmt"

// SyntaxError is a query that cannot be parsed or uses what user search
// does not allow. Pos is the 1-based position of the character (not byte)
// where the problem is.
type SyntaxError struct {
	Pos int
	Msg string
}

// Error returns "at position N: what is wrong".
func (e *SyntaxError) Error() string { return fmt.Sprintf("at position %d: %s", e.Pos, e.Msg) }

// errorAt returns a *SyntaxError.
func errorAt(pos int, format string, args ...any) error {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}
