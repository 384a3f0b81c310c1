package userport

import (
	"errors"
	"fmt"
)

// Application error codes. Each maps to exactly one HTTP status in httpapi.
const (
	EINVALID      = "invalid"      // 400: the request is malformed or breaks a rule
	EUNAUTHORIZED = "unauthorized" // 401: no or bad credentials
	EFORBIDDEN    = "forbidden"    // 403: authenticated but not allowed
	ENOTFOUND     = "not_found"    // 404: the thing does not exist
	ECONFLICT     = "conflict"     // 409: the thing exists already
	ETIMEOUT      = "timeout"      // 408: the request's body did not arrive in time
	ETOOLARGE     = "too_large"    // 413: the payload is over a limit
	ETOOMANY      = "too_many"     // 429: throttled or over a concurrency limit
	EINTERNAL     = "internal"     // 500: anything unexpected; never shown as is
	EUNAVAILABLE  = "unavailable"  // 503: a dependency (database) is not reachable
)

// Error is the one error type that crosses package and HTTP boundaries.
//
// Code is one of the E* constants and decides the HTTP status. Message is safe to
// show to API callers. Detail is the Auth0 `errorCode` (for example
// "invalid_body", "inexistent_user"); it may be empty.
type Error struct {
	Code    string
	Detail  string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("userport error: code=%s detail=%s message=%s", e.Code, e.Detail, e.Message)
	}
	return fmt.Sprintf("userport error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code, Auth0 errorCode and formatted message.
func Errorf(code, detail, format string, args ...any) *Error {
	return &Error{Code: code, Detail: detail, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any
// other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorDetail returns the Auth0 errorCode of the first *Error in err's chain, or "".
func ErrorDetail(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Detail
	}
	return ""
}

// ErrorMessage returns the message of the first *Error in err's chain, and
// "Internal error" for any other non-nil error, so internals never leak.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error"
}

// maxExcerpt is how many characters of a caller's input an error message
// quotes at most.
const maxExcerpt = 32

// Excerpt is s as an error message quotes it: its first 32 characters, then
// "…" if there were more, so that a 10 KB id does not make a 10 KB error.
func Excerpt(s string) string {
	n := 0
	for i := range s {
		if n == maxExcerpt {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// ErrUserNotFound is the error of a user that does not exist: ENOTFOUND
// "inexistent_user", as the stores return it.
func ErrUserNotFound() error {
	return Errorf(ENOTFOUND, "inexistent_user", "The user does not exist.")
}

// ErrUserConflict is the error of a user whose user_id, or email or username
// within its connection, is taken: ECONFLICT "auth0_idp_error".
func ErrUserConflict() error {
	return Errorf(ECONFLICT, "auth0_idp_error", "The user already exists.")
}

// ErrJobNotFound is the error of a job that does not exist (or no longer
// shows): ENOTFOUND "inexistent_job".
func ErrJobNotFound() error {
	return Errorf(ENOTFOUND, "inexistent_job", "The job does not exist.")
}

// ErrPartNotFound is the error of an export part that does not exist:
// ENOTFOUND.
func ErrPartNotFound() error {
	return Errorf(ENOTFOUND, "", "The export part does not exist.")
}

// ErrJobConflict is the error of a new job whose id is taken: ECONFLICT.
func ErrJobConflict() error {
	return Errorf(ECONFLICT, "", "The job already exists.")
}

// ErrConnectionNotFound is the error of a connection that does not exist:
// ENOTFOUND "inexistent_connection".
func ErrConnectionNotFound() error {
	return Errorf(ENOTFOUND, "inexistent_connection", "The connection does not exist.")
}

// ErrClientNotFound is the error of a client that does not exist: ENOTFOUND
// with no Auth0 errorCode.
func ErrClientNotFound() error {
	return Errorf(ENOTFOUND, "", "The client does not exist.")
}
