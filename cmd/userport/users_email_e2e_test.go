package main

import (
	"net/http"
	"testing"
)

// TestUserEmailsAreLowerCased pins that emails are kept lower-cased, as Auth0
// keeps them, on create and on PATCH, and that a database user's email cannot
// be removed.
func TestUserEmailsAreLowerCased(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.createUser(map[string]any{"connection": "Username-Password-Authentication",
		"email": "Ann.Lee@Example.COM", "password": "correct-horse-9"})
	if u["email"] != "ann.lee@example.com" {
		t.Fatalf("created email %v, want ann.lee@example.com", u["email"])
	}
	id := u["user_id"].(string)
	if got := b.storedUser(id).Email; got != "ann.lee@example.com" {
		t.Errorf("stored email column %q", got)
	}

	r := b.admin(http.MethodPatch, "/users/"+id, map[string]any{"email": "Ann@Example.ORG"})
	r.wantStatus(t, http.StatusOK)
	if got := r.object(t)["email"]; got != "ann@example.org" {
		t.Errorf("patched email %v, want ann@example.org", got)
	}

	r = b.admin(http.MethodPatch, "/users/"+id, map[string]any{"email": nil})
	r.wantError(t, http.StatusBadRequest, "invalid_body",
		"Payload validation error: 'Expected type string but found type null' on property email.")
	if got := b.storedUser(id).Email; got != "ann@example.org" {
		t.Errorf("a refused PATCH changed the email to %q", got)
	}
}
