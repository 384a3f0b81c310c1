package client

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error is an error answer of the server, from the Management API's body
// ({"statusCode", "error", "message", "errorCode"}) or the OAuth one of
// /oauth/token ({"error", "error_description"}).
type Error struct {
	StatusCode int    // the HTTP status
	ErrorCode  string // Auth0's errorCode, or the OAuth error; may be empty
	Message    string // the message, on one line
	// RetryAfter is how long a 429 asks to wait (Retry-After), or 0.
	RetryAfter time.Duration
}

// Error is one line: the status, the error code when there is one, the message.
func (e *Error) Error() string {
	s := fmt.Sprintf("server answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.ErrorCode != "" {
		s += " (" + e.ErrorCode + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 64 << 10

// readError decodes resp's body into an *Error.
func readError(resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := decodeError(resp.StatusCode, data)
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs >= 0 {
		e.RetryAfter = time.Duration(secs) * time.Second
	}
	return e
}

// decodeError decodes an error body of status; a body that is not one of
// the known shapes gives its first line (or the status text) as message.
func decodeError(status int, data []byte) *Error {
	var b struct {
		Message          string `json:"message"`
		ErrorCode        string `json:"errorCode"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	e := &Error{StatusCode: status}
	switch {
	case json.Unmarshal(data, &b) == nil && (b.Message != "" || b.ErrorCode != ""):
		e.ErrorCode, e.Message = b.ErrorCode, b.Message
	case b.ErrorDescription != "" || (b.Error != "" && b.Message == ""):
		e.ErrorCode, e.Message = b.Error, b.ErrorDescription
	default:
		e.Message = firstLine(string(data))
	}
	e.Message = oneLine(e.Message)
	return e
}

// firstLine is the first non-blank line of s, at most 200 bytes of it.
func firstLine(s string) string {
	for line := range strings.Lines(s) {
		if line = strings.TrimSpace(line); line != "" {
			if len(line) > 200 {
				line = line[:200] + "..."
			}
			return line
		}
	}
	return ""
}

// oneLine joins the lines of s with spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
