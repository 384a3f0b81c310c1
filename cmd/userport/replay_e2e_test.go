package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// userShapes is testdata/auth0/users.json: what real Auth0 tenants answered
// to the user calls SDKs make.
type userShapes struct {
	Create struct {
		Request map[string]any    `json:"request"`
		Status  int               `json:"status"`
		Keys    []string          `json:"keys"`
		Types   map[string]string `json:"types"`
	} `json:"create"`
	IdentityKeys  []string `json:"identity_keys"`
	PatchPassword struct {
		Request     map[string]any  `json:"request"`
		Status      int             `json:"status"`
		Keys        []string        `json:"keys"`
		AppMetadata json.RawMessage `json:"app_metadata"`
	} `json:"patch_password"`
	Delete     struct{ Status int } `json:"delete"`
	GetDeleted struct {
		Status int             `json:"status"`
		Body   json.RawMessage `json:"body"`
	} `json:"get_deleted"`
	DeleteAgain  struct{ Status int } `json:"delete_again"`
	UsersByEmail struct {
		Status int    `json:"status"`
		Type   string `json:"type"`
	} `json:"users_by_email"`
}

// readShapes decodes the file name of testdata/auth0 into v.
func readShapes(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "auth0", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// wantKeys fails unless obj's keys are want, in that order.
func wantKeys(t *testing.T, what string, obj []byte, want []string) {
	t.Helper()
	if got := exKeys(t, obj); !slices.Equal(got, want) {
		t.Errorf("%s keys =\n%v\nwant (Auth0's order)\n%v", what, got, want)
	}
}

// userPath is the API path of a user.
func userPath(id string) string { return "/users/" + url.PathEscape(id) }

// TestReplayUserShapes replays the user calls of the recordings: statuses,
// key sets and order, types; a password change sets last_password_reset.
func TestReplayUserShapes(t *testing.T) {
	var sh userShapes
	readShapes(t, "users.json", &sh)
	b := setup(t)
	r := b.admin(http.MethodPost, "/users", sh.Create.Request)
	r.wantStatus(t, sh.Create.Status)
	wantKeys(t, "POST /users", r.body, sh.Create.Keys)
	u := r.object(t)
	for k, typ := range sh.Create.Types {
		if got := jsonTypeOf(u[k]); got != typ {
			t.Errorf("%s is %s, want %s", k, got, typ)
		}
	}
	var raw struct{ Identities []json.RawMessage }
	r.decode(t, &raw)
	wantKeys(t, "identities[0]", raw.Identities[0], sh.IdentityKeys)
	id := u["user_id"].(string)
	wantKeys(t, "GET /users/{id}", b.admin(http.MethodGet, userPath(id), nil).body, sh.Create.Keys)

	r = b.admin(http.MethodPatch, userPath(id), sh.PatchPassword.Request)
	r.wantStatus(t, sh.PatchPassword.Status)
	wantKeys(t, "PATCH /users/{id} with a password", r.body, sh.PatchPassword.Keys)
	var patched struct {
		AppMetadata       json.RawMessage `json:"app_metadata"`
		LastPasswordReset string          `json:"last_password_reset"`
		UpdatedAt         string          `json:"updated_at"`
	}
	r.decode(t, &patched)
	if canon(t, patched.AppMetadata) != canon(t, sh.PatchPassword.AppMetadata) {
		t.Errorf("app_metadata = %s, want %s", patched.AppMetadata, sh.PatchPassword.AppMetadata)
	}
	if patched.LastPasswordReset == "" || patched.LastPasswordReset != patched.UpdatedAt {
		t.Errorf("last_password_reset = %q, want the change's time %q", patched.LastPasswordReset, patched.UpdatedAt)
	}

	b.admin(http.MethodDelete, userPath(id), nil).wantStatus(t, sh.Delete.Status)
	b.admin(http.MethodGet, userPath(id), nil).want(t, sh.GetDeleted.Status, string(sh.GetDeleted.Body))
	b.admin(http.MethodDelete, userPath(id), nil).wantStatus(t, sh.DeleteAgain.Status)
}

// jsonTypeOf names the JSON type of a decoded value.
func jsonTypeOf(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case float64:
		return "number"
	}
	return "null"
}

// TestPatchKeepsDocumentBytes: a PATCH changes what it changes and nothing
// else: no key is moved, no value re-encoded ("&" stays "&").
func TestPatchKeepsDocumentBytes(t *testing.T) {
	b := setup(t)
	r := b.admin(http.MethodPost, "/users", map[string]any{"connection": "Username-Password-Authentication",
		"email": "bytes@example.com", "password": "Passwords hide", "picture": "https://example.com/p.png?a=1&b=<2>",
		"user_metadata": map[string]any{"zeta": "z&z", "alpha": 1, "html": "<b>"}})
	r.wantStatus(t, http.StatusCreated)
	before := string(r.body)
	id := r.object(t)["user_id"].(string)
	b.clock.Advance(1500 * time.Millisecond)
	after := b.admin(http.MethodPatch, userPath(id), map[string]any{"given_name": "Grace", "user_metadata": map[string]any{"alpha": 2}})
	after.wantStatus(t, http.StatusOK)
	got := after.object(t)
	want := strings.Replace(before, `"email_verified":false,`, `"email_verified":false,"given_name":"Grace",`, 1)
	want = strings.Replace(want, `"alpha":1`, `"alpha":2`, 1)
	want = strings.Replace(want, `"updated_at":"`+getString(t, before, "updated_at")+`"`, `"updated_at":"`+got["updated_at"].(string)+`"`, 1)
	if string(after.body) != want {
		t.Errorf("PATCH answer =\n%s\nwant the stored bytes with only the changes\n%s", after.body, want)
	}
	if g := b.admin(http.MethodGet, userPath(id), nil); string(g.body) != want {
		t.Errorf("GET after PATCH =\n%s\nwant\n%s", g.body, want)
	}
}

// getString reads a string attribute of a JSON object.
func getString(t *testing.T, obj, key string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(obj), &m); err != nil {
		t.Fatal(err)
	}
	s, _ := m[key].(string)
	return s
}

// TestUserKeyOrderWhateverWroteIt: a user created through the API, one
// imported and one changed by PATCH have their keys in one order.
func TestUserKeyOrderWhateverWroteIt(t *testing.T) {
	b := setup(t)
	conn := b.connection("Username-Password-Authentication")
	b.imRun([]byte(`[{"user_metadata":{"k":1},"username":"imported1","email_verified":true,"email":"imported@example.com",`+
		`"app_metadata":{"p":1},"given_name":"I","blocked":false,"family_name":"F","nickname":"n","picture":"https://example.com/i.png?a&b"}]`),
		conn.ID)
	r := b.admin(http.MethodGet, "/users?per_page=10", nil)
	r.wantStatus(t, http.StatusOK)
	var list []json.RawMessage
	r.decode(t, &list)
	if len(list) != 1 {
		t.Fatalf("%d users, want 1", len(list))
	}
	order := []string{"blocked", "created_at", "email", "email_verified", "family_name", "given_name", "identities",
		"name", "nickname", "picture", "updated_at", "user_id", "user_metadata", "username", "app_metadata"}
	wantKeys(t, "imported user", list[0], order)
	if !bytes.Contains(list[0], []byte(`"https://example.com/i.png?a&b"`)) {
		t.Errorf("imported picture re-encoded: %s", list[0])
	}
	id := getString(t, string(list[0]), "user_id")
	p := b.admin(http.MethodPatch, userPath(id), map[string]any{"phone_number": "+15555550100", "blocked": true})
	p.wantStatus(t, http.StatusOK)
	wantKeys(t, "patched user", p.body, slices.Insert(slices.Clone(order), 9, "phone_number"))
}
