package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestErrorsEchoAShortPrefix sends 10 KB ids and values where an error
// message quotes the caller's input, and checks each message shows the
// first 32 characters and "…".
func TestErrorsEchoAShortPrefix(t *testing.T) {
	t.Parallel()
	b := setup(t)
	long := strings.Repeat("x", 10<<10)
	short := long[:32] + "…"
	userPath := "Path validation error: 'String does not match pattern ^[^|\\s]+\\|[^|\\s]+$: " + short + "' on property id (Id of the user)."
	conPattern := "'String does not match pattern ^con_[A-Za-z0-9]{16}$: " + short + "'"
	jobPath := "Path validation error: 'String does not match pattern ^job_[A-Za-z0-9]{16}$: " + short + "' on property id (The id of the job)."
	tests := []struct {
		name, method, path string
		body               any
		code, msg          string
	}{
		{"user id in the path", "GET", "/users/" + long, nil, "invalid_uri", userPath},
		{"user id in a PATCH path", "PATCH", "/users/" + long, map[string]any{"name": "x"}, "invalid_uri", userPath},
		{"connection id in the path", "GET", "/connections/" + long, nil, "invalid_uri", "Path validation error: " + conPattern + " on property id."},
		{"job id in the path", "GET", "/jobs/" + long, nil, "invalid_uri", jobPath},
		{"job id in the errors path", "GET", "/jobs/" + long + "/errors", nil, "invalid_uri", jobPath},
		{"user_id in a body", "POST", "/users", userBody(`,"user_id":"a b` + long[:250] + `"`), "invalid_body",
			"Payload validation error: 'String does not match pattern ^[^|\\s]+\\|[^|\\s]+$: a b" + long[:29] + "…' on property user_id."},
		{"connection_id of an export", "POST", "/jobs/users-exports", map[string]any{"connection_id": long}, "invalid_body",
			"Payload validation error: " + conPattern + " on property connection_id."},
		{"format of an export", "POST", "/jobs/users-exports", map[string]any{"format": long}, "invalid_body",
			"Payload validation error: 'No enum match for: \"" + short + "\"' on property format."},
		{"unknown key", "POST", "/users", userBody(`,"` + long + `":1`), "invalid_body",
			"Payload validation error: 'Additional properties not allowed: " + short + "'."},
		{"unknown query parameter", "GET", "/users?" + long + "=1", nil, "invalid_query_string",
			"Query validation error: 'Additional properties not allowed: " + short + "'."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b.admin(tt.method, tt.path, tt.body).wantError(t, 400, tt.code, tt.msg)
		})
	}
}

// TestTokenJSONBodyChecks sends JSON token requests with a key given twice
// or invalid UTF-8.
func TestTokenJSONBodyChecks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const parse = "The request body could not be parsed: "
	for _, tt := range []struct{ name, body, desc string }{
		{"duplicate client_id", `{"grant_type":"client_credentials","client_id":"` + b.id + `","client_id":"other",` +
			`"client_secret":"` + b.secret + `","audience":"` + b.audience() + `"}`, parse + "Duplicate property: client_id"},
		{"invalid UTF-8", "{\"grant_type\":\"client_credentials\",\"scope\":\"\xff\"}", parse + "Invalid JSON: the body is not valid UTF-8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b.request(http.MethodPost, "/oauth/token", tt.body).wantOAuthError(t, 400, "invalid_request", tt.desc)
		})
	}
}

// TestExportJobBodyChecks sends export job bodies with a key given twice,
// nested in fields, or invalid UTF-8.
func TestExportJobBodyChecks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tt := range []struct{ name, body, msg string }{
		{"duplicate format", `{"format":"csv","format":"json"}`, "'Duplicate property: format'."},
		{"duplicate key in a field", `{"fields":[{"name":"email"},{"name":"name","name":"nickname"}]}`, "'Duplicate property: fields[1].name'."},
		{"invalid UTF-8", "{\"fields\":[{\"name\":\"email\",\"export_as\":\"\xff\"}]}", "'Invalid JSON: the body is not valid UTF-8'."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b.admin(http.MethodPost, "/jobs/users-exports", tt.body).wantError(t, 400, "invalid_body", "Payload validation error: "+tt.msg)
		})
	}
}
