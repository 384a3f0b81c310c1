package httpapi_test

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
)

var userIDShape = regexp.MustCompile(`^auth0\|[0-9a-f]{24}$`)

// gravatar is the default picture of an email.
func gravatar(email string) string {
	sum := md5.Sum([]byte(strings.ToLower(email)))
	return "https://s.gravatar.com/avatar/" + hex.EncodeToString(sum[:]) + "?s=480&r=pg&d=mp"
}

// identity is identities[0] of a user of the connection conn.
func identity(conn, userID string) []any {
	return []any{map[string]any{"connection": conn, "provider": "auth0",
		"user_id": strings.TrimPrefix(userID, "auth0|"), "isSocial": false}}
}

func TestCreateUser(t *testing.T) {
	t.Parallel()
	b := setup(t)
	now := userport.FormatTime(b.Clock.Now())

	t.Run("minimal", func(t *testing.T) {
		const pw = "correct horse battery"
		r := b.admin(http.MethodPost, "/users", map[string]any{"connection": upa, "email": "alice@example.com", "password": pw})
		if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		got := r.object(t)
		id, _ := got["user_id"].(string)
		if !userIDShape.MatchString(id) {
			t.Fatalf("user_id = %q, want auth0| and 24 hex digits", id)
		}
		want := map[string]any{"user_id": id, "email": "alice@example.com", "email_verified": false,
			"name": "alice@example.com", "nickname": "alice", "picture": gravatar("alice@example.com"),
			"identities": identity(upa, id), "created_at": now, "updated_at": now}
		r.want(t, 201, mustJSON(t, want))
		if strings.Contains(string(r.body), pw) || strings.Contains(string(r.body), "password") {
			t.Errorf("the answer shows the password: %s", r.body)
		}
		u := b.storedUser(id)
		if !strings.HasPrefix(u.PasswordHash, "$2") || !auth.CheckPassword(u.PasswordHash, pw) {
			t.Errorf("stored password hash %q is not the bcrypt hash of the password", u.PasswordHash)
		}
		if strings.Contains(string(u.Doc), pw) || strings.Contains(string(u.Doc), u.PasswordHash) {
			t.Errorf("the stored document holds the password or its hash: %s", u.Doc)
		}
		b.admin(http.MethodGet, "/users/"+id, nil).want(t, 200, string(r.body))
		b.admin(http.MethodGet, "/users/"+url.PathEscape(id), nil).want(t, 200, string(r.body))
	})

	t.Run("every attribute", func(t *testing.T) {
		body := map[string]any{"connection": upa, "email": "bob@example.com", "password": "Passw0rd!x",
			"username": "bob", "name": "Bob SSmith, \"Jr\"", "given_name": "Bob", "family_name": "SSmith",
			"nickname": "bobby", "picture": "https://example.com/b.png?a=1&b=2", "email_verified": true,
			"verify_email": false, "phone_number": "+15551234567", "phone_verified": true,
			"user_metadata": map[string]any{"theme": "dark", "tags": []any{"a", "b"}, "nested": map[string]any{"x": 1.5}},
			"app_metadata":  map[string]any{"plan": "pro"}, "blocked": false}
		got := b.createUser(body)
		id := got["user_id"].(string)
		want := map[string]any{"user_id": id, "email": "bob@example.com", "email_verified": true,
			"username": "bob", "phone_number": "+15551234567", "phone_verified": true,
			"name": "Bob SSmith, \"Jr\"", "given_name": "Bob", "family_name": "SSmith", "nickname": "bobby",
			"picture": "https://example.com/b.png?a=1&b=2", "identities": identity(upa, id),
			"user_metadata": body["user_metadata"], "app_metadata": body["app_metadata"], "blocked": false,
			"created_at": now, "updated_at": now}
		b.admin(http.MethodGet, "/users/"+id, nil).want(t, 200, mustJSON(t, want))
	})

	t.Run("user_id given", func(t *testing.T) {
		for _, tt := range []struct{ given, want string }{
			{"5f1c0000000000000000abcd", "auth0|5f1c0000000000000000abcd"},
			{"auth0|my-own-id", "auth0|my-own-id"},
		} {
			email := "given-" + strings.ReplaceAll(tt.want, "|", "-") + "@example.com"
			got := b.createUser(map[string]any{"connection": upa, "email": email, "password": "Passw0rd!x", "user_id": tt.given})
			if got["user_id"] != tt.want {
				t.Errorf("user_id %q: got %v, want %s", tt.given, got["user_id"], tt.want)
			}
			if g, w := mustJSON(t, got["identities"]), mustJSON(t, identity(upa, tt.want)); g != w {
				t.Errorf("identities = %s, want %s", g, w)
			}
			b.admin(http.MethodGet, "/users/"+tt.want, nil).wantStatus(t, 200)
		}
		// The same id again is a conflict, with or without the prefix.
		for _, given := range []string{"my-own-id", "auth0|my-own-id"} {
			b.admin(http.MethodPost, "/users", map[string]any{"connection": upa, "email": "again@example.com",
				"password": "Passw0rd!x", "user_id": given}).wantError(t, 409, "auth0_idp_error", "The user already exists.")
		}
	})
}

func TestCreateUserDuplicateEmail(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.admin(http.MethodPost, "/connections", map[string]any{"name": "Other", "strategy": "auth0"}).wantStatus(t, 201)
	body := func(conn, email string) map[string]any {
		return map[string]any{"connection": conn, "email": email, "password": "Passw0rd!x"}
	}
	b.createUser(body(upa, "dup@example.com"))
	b.admin(http.MethodPost, "/users", body(upa, "dup@example.com")).wantError(t, 409, "auth0_idp_error", "The user already exists.")
	b.admin(http.MethodPost, "/users", body(upa, "DUP@Example.com")).wantError(t, 409, "auth0_idp_error", "The user already exists.")
	b.createUser(body("Other", "dup@example.com"))
	if n := b.userCount(); n != 2 {
		t.Fatalf("%d users, want 2", n)
	}
	// Usernames are unique within a connection too.
	b.createUser(map[string]any{"connection": upa, "email": "u1@example.com", "password": "Passw0rd!x", "username": "same"})
	b.admin(http.MethodPost, "/users", map[string]any{"connection": upa, "email": "u2@example.com", "password": "Passw0rd!x", "username": "same"}).
		wantError(t, 409, "auth0_idp_error", "The user already exists.")
	if n := b.userCount(); n != 3 {
		t.Fatalf("%d users, want 3", n)
	}
}

// docsOf returns the stored documents of ids as a JSON array.
func (e *env) docsOf(ids []string) string {
	e.t.Helper()
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = string(e.storedUser(id).Doc)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func TestListUsers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.admin(http.MethodPost, "/connections", map[string]any{"name": "Other", "strategy": "auth0"}).wantStatus(t, 201)
	upaIDs := b.putUsers(b.connection(upa), 10, 7)
	other := b.putUsers(b.connection("Other"), 1, 3) // sort before main
	all := append(append([]string{}, other...), upaIDs...)

	tests := []struct {
		query string
		want  []string
	}{
		{"", all},
		{"?per_page=3", all[0:3]},
		{"?page=0&per_page=3", all[0:3]},
		{"?page=1&per_page=3", all[3:6]},
		{"?page=3&per_page=3", all[9:10]},
		{"?page=4&per_page=3", nil},
		{"?page=1000&per_page=100", nil},
		{"?per_page=100", all},
		{"?connection=" + url.QueryEscape(upa), upaIDs},
		{"?connection=" + url.QueryEscape(upa) + "&page=2&per_page=3", upaIDs[6:7]},
		{"?connection=Other", other},
		{"?connection=Nope", nil},
		{"?include_totals=false&per_page=2", all[0:2]},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			b.admin(http.MethodGet, "/users"+tt.query, nil).want(t, 200, b.docsOf(tt.want))
		})
	}

	totals := []struct {
		query                       string
		start, limit, length, total int
		want                        []string
	}{
		{"?include_totals=true", 0, 50, 10, 10, all},
		{"?include_totals=true&page=2&per_page=3", 6, 3, 3, 10, all[6:9]},
		{"?include_totals=true&page=3&per_page=3", 9, 3, 1, 10, all[9:]},
		{"?include_totals=true&page=5&per_page=3", 15, 3, 0, 10, nil},
		{"?include_totals=true&connection=Other&per_page=2&page=1", 2, 2, 1, 3, other[2:]},
		{"?include_totals=true&connection=Nope", 0, 50, 0, 0, nil},
	}
	for _, tt := range totals {
		t.Run(tt.query, func(t *testing.T) {
			want := fmt.Sprintf(`{"start":%d,"limit":%d,"length":%d,"total":%d,"users":%s}`,
				tt.start, tt.limit, tt.length, tt.total, b.docsOf(tt.want))
			b.admin(http.MethodGet, "/users"+tt.query, nil).want(t, 200, want)
		})
	}

	// Paging through every page gives every user once, in order.
	var seen []string
	for page := 0; ; page++ {
		var got []map[string]any
		b.admin(http.MethodGet, fmt.Sprintf("/users?per_page=4&page=%d", page), nil).decode(t, &got)
		if len(got) == 0 {
			break
		}
		for _, u := range got {
			seen = append(seen, u["user_id"].(string))
		}
	}
	if g, w := strings.Join(seen, " "), strings.Join(all, " "); g != w {
		t.Fatalf("paged ids = %s, want %s", g, w)
	}
}

func TestUpdateUser(t *testing.T) {
	t.Parallel()
	b := setup(t)
	created := b.createUser(map[string]any{"connection": upa, "email": "carol@example.com", "password": "first-Passw0rd",
		"given_name": "Carol", "nickname": "caz", "blocked": false,
		"user_metadata": map[string]any{"a": 1, "b": map[string]any{"c": 2}, "keep": "x"},
		"app_metadata":  map[string]any{"plan": "pro", "roles": []any{"admin"}}})
	id := created["user_id"].(string)
	createdAt := created["created_at"]
	oldHash := b.storedUser(id).PasswordHash

	step := func(patch map[string]any, change func(m map[string]any)) {
		t.Helper()
		b.Clock.Advance(1500 * time.Millisecond)
		change(created)
		created["updated_at"] = userport.FormatTime(b.Clock.Now())
		r := b.admin(http.MethodPatch, "/users/"+id, patch)
		r.want(t, 200, mustJSON(t, created))
		b.admin(http.MethodGet, "/users/"+id, nil).want(t, 200, mustJSON(t, created))
	}

	// Attributes are replaced; metadata is merged at the top level, null
	// removing a key and a nested object replacing the old one whole.
	step(map[string]any{"given_name": "Caroline", "family_name": "Smith", "email_verified": true,
		"user_metadata": map[string]any{"a": nil, "b": map[string]any{"d": 3}, "new": []any{1, 2}}},
		func(m map[string]any) {
			m["given_name"], m["family_name"], m["email_verified"] = "Caroline", "Smith", true
			m["user_metadata"] = map[string]any{"b": map[string]any{"d": 3}, "keep": "x", "new": []any{1, 2}}
		})
	// null removes an attribute.
	step(map[string]any{"nickname": nil, "blocked": nil}, func(m map[string]any) {
		delete(m, "nickname")
		delete(m, "blocked")
	})
	// {} clears a metadata attribute.
	step(map[string]any{"app_metadata": map[string]any{}}, func(m map[string]any) { delete(m, "app_metadata") })
	// Email changes, and the new one is what the uniqueness check sees.
	step(map[string]any{"email": "carol.new@example.com", "blocked": true}, func(m map[string]any) {
		m["email"], m["blocked"] = "carol.new@example.com", true
	})
	if u := b.storedUser(id); u.Email != "carol.new@example.com" {
		t.Errorf("stored email column = %q", u.Email)
	}
	b.createUser(map[string]any{"connection": upa, "email": "carol@example.com", "password": "Passw0rd!x"})
	b.admin(http.MethodPatch, "/users/"+id, map[string]any{"email": "CAROL@example.com"}).
		wantError(t, 409, "auth0_idp_error", "The user already exists.")

	// A password change: the hash changes, the answer does not show it.
	const newPassword = "second-Passw0rd"
	// Auth0 stamps it in last_password_reset (recorded).
	step(map[string]any{"password": newPassword}, func(m map[string]any) {
		m["last_password_reset"] = userport.FormatTime(b.Clock.Now())
	})
	u := b.storedUser(id)
	if u.PasswordHash == oldHash || !auth.CheckPassword(u.PasswordHash, newPassword) || auth.CheckPassword(u.PasswordHash, "first-Passw0rd") {
		t.Errorf("password hash after the change: %q (before %q)", u.PasswordHash, oldHash)
	}
	if created["created_at"] != createdAt {
		t.Errorf("created_at changed: %v, was %v", created["created_at"], createdAt)
	}

	b.admin(http.MethodPatch, "/users/auth0|000000000000000000000000", map[string]any{"name": "x"}).
		wantError(t, 404, "inexistent_user", "The user does not exist.")
}

func TestDeleteUser(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.putUsers(b.connection(upa), 1, 2)[0]
	r := b.admin(http.MethodDelete, "/users/"+url.PathEscape(id), nil)
	if r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Fatalf("DELETE: %d %q, want 204 and no body", r.status, r.body)
	}
	b.admin(http.MethodGet, "/users/"+id, nil).wantError(t, 404, "inexistent_user", "The user does not exist.")
	// A user gone already is deleted: 204, as Auth0 answers (issue 12).
	b.admin(http.MethodDelete, "/users/"+id, nil).wantStatus(t, http.StatusNoContent)
	if n := b.userCount(); n != 1 {
		t.Fatalf("%d users, want 1", n)
	}
}

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

// TestDeleteMissingUser: Auth0 answers 204 to the DELETE of a user that
// does not exist (any more), so that cleanup scripts can retry.
func TestDeleteMissingUser(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.createUser(map[string]any{"connection": "Username-Password-Authentication", "email": "gone@example.com", "password": "Passwords hide"})
	path := "/users/" + strings.ReplaceAll(u["user_id"].(string), "|", "%7C")
	b.admin(http.MethodDelete, path, nil).wantStatus(t, http.StatusNoContent)
	b.admin(http.MethodGet, path, nil).wantError(t, 404, "inexistent_user", "The user does not exist.")
	b.admin(http.MethodDelete, path, nil).wantStatus(t, http.StatusNoContent)
	b.admin(http.MethodDelete, "/users/auth0%7C000000000000000000000000", nil).wantStatus(t, http.StatusNoContent)
}

// createUser creates a user through the API and returns its decoded body.
func (e *env) createUser(body map[string]any) map[string]any {
	e.t.Helper()
	r := e.admin(http.MethodPost, "/users", body)
	r.wantStatus(e.t, http.StatusCreated)
	return r.object(e.t)
}
