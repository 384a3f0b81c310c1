package main

import (
	"net/http"
	"strings"
	"testing"
)

// The tests of this file check the calls around the export that Auth0's SDKs
// and scripts make, against the shapes of real Auth0 answers (see
// testdata/auth0/).

// TestImportEmptyExternalID: go-auth0's Job.ImportUsers always sends
// external_id, empty when unset; Auth0 takes that as none.
func TestImportEmptyExternalID(t *testing.T) {
	b := setup(t)
	conn := b.connection("Username-Password-Authentication")
	j := b.imRun([]byte(`[{"email":"ext@example.com","email_verified":true}]`), conn.ID, imField("upsert", "true"),
		imField("external_id", ""), imField("send_completion_email", "false"))
	if j.ExternalID != "" {
		t.Errorf("external_id = %q, want none", j.ExternalID)
	}
	if j.Summary == nil || j.Summary.Inserted != 1 {
		t.Errorf("summary = %+v, want 1 inserted", j.Summary)
	}
}

// TestDeleteMissingUser: Auth0 answers 204 to the DELETE of a user that
// does not exist (any more), so that cleanup scripts can retry.
func TestDeleteMissingUser(t *testing.T) {
	b := setup(t)
	u := b.createUser(map[string]any{"connection": "Username-Password-Authentication", "email": "gone@example.com", "password": "Passwords hide"})
	path := "/users/" + strings.ReplaceAll(u["user_id"].(string), "|", "%7C")
	b.admin(http.MethodDelete, path, nil).wantStatus(t, http.StatusNoContent)
	b.admin(http.MethodGet, path, nil).wantError(t, 404, "inexistent_user", "The user does not exist.")
	b.admin(http.MethodDelete, path, nil).wantStatus(t, http.StatusNoContent)
	b.admin(http.MethodDelete, "/users/auth0%7C000000000000000000000000", nil).wantStatus(t, http.StatusNoContent)
}

// TestUnauthorizedAttributes: a 401 repeats its reason under attributes, as
// Auth0 does; a request without a token has none.
func TestUnauthorizedAttributes(t *testing.T) {
	b := setup(t)
	b.api(http.MethodGet, "/users", "not-a-token", nil).want(t, 401,
		`{"statusCode":401,"error":"Unauthorized","message":"Invalid token","attributes":{"error":"Invalid token"}}`)
	b.api(http.MethodGet, "/users", "", nil).want(t, 401,
		`{"statusCode":401,"error":"Unauthorized","message":"Missing authentication"}`)
}

// TestConnectionPatchDeleteBadInput: a bad PATCH or DELETE of a connection
// gets Auth0's 400, never a 500.
func TestConnectionPatchDeleteBadInput(t *testing.T) {
	b := setup(t)
	id := b.connection(upa).ID
	tests := []struct {
		name, method, path string
		body               any
		code, message      string
	}{
		{"options not an object", http.MethodPatch, "/connections/" + id, map[string]any{"options": "x"}, "invalid_body",
			"Payload validation error: 'Expected type object but found type string' on property options."},
		{"name cannot change", http.MethodPatch, "/connections/" + id, map[string]any{"name": "other"}, "invalid_body",
			"Payload validation error: 'Additional properties not allowed: name'."},
		{"realms not strings", http.MethodPatch, "/connections/" + id, map[string]any{"realms": []any{1}}, "invalid_body",
			"Payload validation error: 'Expected type array of strings but found type array' on property realms."},
		{"not an object", http.MethodPatch, "/connections/" + id, "[]", "invalid_body",
			"Payload validation error: 'Expected type object but found type array'."},
		{"bad id", http.MethodPatch, "/connections/nope", map[string]any{}, "invalid_uri",
			"Path validation error: 'String does not match pattern ^con_[A-Za-z0-9]{16}$: nope' on property id."},
		{"bad id on delete", http.MethodDelete, "/connections/nope", nil, "invalid_uri",
			"Path validation error: 'String does not match pattern ^con_[A-Za-z0-9]{16}$: nope' on property id."},
		{"bad fields flag", http.MethodGet, "/connections/" + id + "?include_fields=yes", nil, "invalid_query_string",
			"Query validation error: 'Expected type boolean but found type string' on property include_fields."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b.t = t
			b.admin(tt.method, "/"+strings.TrimPrefix(tt.path, "/"), tt.body).wantError(t, 400, tt.code, tt.message)
		})
	}
	b.t = t
	// An empty PATCH changes nothing and answers the connection.
	b.admin(http.MethodPatch, "/connections/"+id, map[string]any{}).wantStatus(t, http.StatusOK)
}
