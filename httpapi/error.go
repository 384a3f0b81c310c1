package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/userport/userport"
)

// statuses maps each application error code to its HTTP status: the one place
// where the error vocabulary meets HTTP.
var statuses = map[string]int{
	userport.EINVALID:      http.StatusBadRequest,
	userport.EUNAUTHORIZED: http.StatusUnauthorized,
	userport.EFORBIDDEN:    http.StatusForbidden,
	userport.ENOTFOUND:     http.StatusNotFound,
	userport.ECONFLICT:     http.StatusConflict,
	userport.ETIMEOUT:      http.StatusRequestTimeout,
	userport.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	userport.ETOOMANY:      http.StatusTooManyRequests,
	userport.EINTERNAL:     http.StatusInternalServerError,
	userport.EUNAVAILABLE:  http.StatusServiceUnavailable,
}

// ErrorStatus returns the HTTP status for an application error code.
func ErrorStatus(code string) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// RetryAfter is the Retry-After header of a 503 (the database is busy or
// down): a busy SQLite database is free again once the transaction that
// holds it commits, well under this.
const RetryAfter = 2 * time.Second

// apiError is the Management API's error body.
type apiError struct {
	StatusCode int    `json:"statusCode"`
	Error      string `json:"error"`
	Message    string `json:"message"`
	ErrorCode  string `json:"errorCode,omitempty"`
	// Attributes repeats a 401's message as Auth0 (hapi's Boom) does:
	// {"error": "Invalid token"}; a request without credentials has none.
	Attributes errorAttributes `json:"attributes,omitzero"`
}

// errorAttributes is the attributes object of a 401 body.
type errorAttributes struct {
	Error string `json:"error"`
}

// missingAuthentication is the message of a 401 for a request without a token.
const missingAuthentication = "Missing authentication"

// attributesOf returns a 401's attributes: the message, unless no
// credentials were given at all.
func attributesOf(status int, message string) errorAttributes {
	if status != http.StatusUnauthorized || message == missingAuthentication {
		return errorAttributes{}
	}
	return errorAttributes{Error: message}
}

// writeError answers with the Management API error shape, and a 503 with
// Retry-After. Only internal and unavailable errors are logged; their text
// never reaches the caller.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := userport.ErrorCode(err)
	if code == userport.EINTERNAL || code == userport.EUNAVAILABLE {
		// A request whose client went away fails with its context: no
		// fault of the server's, and no one reads the answer.
		level, msg := slog.LevelError, "request failed"
		if r.Context().Err() != nil && errors.Is(err, r.Context().Err()) {
			level, msg = slog.LevelDebug, "request abandoned by its client"
		}
		s.logger(r).LogAttrs(r.Context(), level, msg,
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
	}
	status := ErrorStatus(code)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(int(RetryAfter.Seconds())))
	}
	body := apiError{
		StatusCode: status,
		Error:      http.StatusText(status),
		Message:    userport.ErrorMessage(err),
		ErrorCode:  userport.ErrorDetail(err),
	}
	body.Attributes = attributesOf(status, body.Message)
	writeJSON(w, status, body)
}

// oauthError is the OAuth 2.0 error body of /oauth/token.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// writeOAuthError answers /oauth/token failures in the OAuth shape: the
// application error's Detail is the OAuth `error` value.
func (s *Server) writeOAuthError(w http.ResponseWriter, r *http.Request, err error) {
	code := userport.ErrorCode(err)
	if code == userport.EINTERNAL || code == userport.EUNAVAILABLE {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, ErrorStatus(code), oauthError{Error: userport.ErrorDetail(err), Description: userport.ErrorMessage(err)})
}

// writeJSON writes v as the JSON body with the given status.
// HTML characters stay as they are ("&" in signed URLs), as Auth0 writes them.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"statusCode":500,"error":"Internal Server Error","message":"Internal error"}`, http.StatusInternalServerError)
		return
	}
	writeRaw(w, status, bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// writeRaw writes an already encoded JSON body, with its length (so that an
// answer sent before the request body is read ends where it ends).
func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
