package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/jobs"
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
	if got := testutil.JSONKeys(t, obj); !slices.Equal(got, want) {
		t.Errorf("%s keys =\n%v\nwant (Auth0's order)\n%v", what, got, want)
	}
}

// userPath is the API path of a user.
func userPath(id string) string { return "/users/" + url.PathEscape(id) }

// TestReplayUserShapes replays the user calls of the recordings: statuses,
// key sets and order, types; a password change sets last_password_reset.
func TestReplayUserShapes(t *testing.T) {
	t.Parallel()
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
	if testutil.CanonJSON(t, patched.AppMetadata) != testutil.CanonJSON(t, sh.PatchPassword.AppMetadata) {
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
	t.Parallel()
	b := setup(t)
	r := b.admin(http.MethodPost, "/users", map[string]any{"connection": "Username-Password-Authentication",
		"email": "bytes@example.com", "password": "Passwords hide", "picture": "https://example.com/p.png?a=1&b=<2>",
		"user_metadata": map[string]any{"zeta": "z&z", "alpha": 1, "html": "<b>"}})
	r.wantStatus(t, http.StatusCreated)
	before := string(r.body)
	id := r.object(t)["user_id"].(string)
	b.Clock.Advance(1500 * time.Millisecond)
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
	t.Parallel()
	b := setup(t)
	b.work(nil)
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

// connectionShapes is testdata/auth0/connections.json.
type connectionShapes struct {
	Create struct {
		Request    map[string]any `json:"request"`
		Status     int            `json:"status"`
		Keys       []string       `json:"keys"`
		OptionKeys []string       `json:"option_keys"`
	} `json:"create"`
	CreatePlain struct {
		Request    map[string]any `json:"request"`
		Status     int            `json:"status"`
		OptionKeys []string       `json:"option_keys"`
	} `json:"create_plain"`
	Update struct {
		Request      map[string]any `json:"request"`
		Status       int            `json:"status"`
		OptionKeySet []string       `json:"option_key_set"`
	} `json:"update"`
	Delete struct {
		Status int      `json:"status"`
		Keys   []string `json:"keys"`
	} `json:"delete"`
	GetDeleted struct {
		Status    int    `json:"status"`
		ErrorCode string `json:"errorCode"`
	} `json:"get_deleted"`
	DeleteAgain struct{ Status int } `json:"delete_again"`
}

// connectionOf decodes a connection answer's id and raw options.
func connectionOf(t *testing.T, r *response) (id string, options json.RawMessage) {
	t.Helper()
	var c struct {
		ID      string          `json:"id"`
		Options json.RawMessage `json:"options"`
	}
	r.decode(t, &c)
	return c.ID, c.Options
}

// TestReplayConnectionShapes replays the connection calls of the
// recordings: options kept with Auth0's defaults, PATCH replacing them,
// DELETE 202 with deleted_at, then 404 and 204.
func TestReplayConnectionShapes(t *testing.T) {
	t.Parallel()
	var sh connectionShapes
	readShapes(t, "connections.json", &sh)
	b := setup(t)
	r := b.admin(http.MethodPost, "/connections", sh.Create.Request)
	r.wantStatus(t, sh.Create.Status)
	wantKeys(t, "POST /connections", r.body, sh.Create.Keys)
	id, options := connectionOf(t, r)
	wantKeys(t, "options", options, sh.Create.OptionKeys)
	g := b.admin(http.MethodGet, "/connections/"+id, nil)
	if _, got := connectionOf(t, g); string(got) != string(options) {
		t.Errorf("GET options = %s, want as created %s", got, options)
	}
	r = b.admin(http.MethodPost, "/connections", sh.CreatePlain.Request)
	r.wantStatus(t, sh.CreatePlain.Status)
	_, plain := connectionOf(t, r)
	wantKeys(t, "default options", plain, sh.CreatePlain.OptionKeys)

	r = b.admin(http.MethodPatch, "/connections/"+id, sh.Update.Request)
	r.wantStatus(t, sh.Update.Status)
	_, updated := connectionOf(t, r)
	if got := testutil.JSONKeys(t, updated); !slices.Equal(slices.Sorted(slices.Values(got)), sh.Update.OptionKeySet) {
		t.Errorf("options after PATCH have keys %v, want the set %v", got, sh.Update.OptionKeySet)
	}
	if _, got := connectionOf(t, b.admin(http.MethodGet, "/connections/"+id, nil)); string(got) != string(updated) {
		t.Errorf("GET after PATCH: options %s, want %s", got, updated)
	}

	r = b.admin(http.MethodDelete, "/connections/"+id, nil)
	r.wantStatus(t, sh.Delete.Status)
	wantKeys(t, "DELETE /connections/{id}", r.body, sh.Delete.Keys)
	if at := getString(t, string(r.body), "deleted_at"); at != userport.FormatTime(b.Clock.Now()) {
		t.Errorf("deleted_at = %q, want now", at)
	}
	r = b.admin(http.MethodGet, "/connections/"+id, nil)
	r.wantStatus(t, sh.GetDeleted.Status)
	if code := r.object(t)["errorCode"]; code != sh.GetDeleted.ErrorCode {
		t.Errorf("errorCode = %v, want %s", code, sh.GetDeleted.ErrorCode)
	}
	b.admin(http.MethodDelete, "/connections/"+id, nil).wantStatus(t, sh.DeleteAgain.Status)
	b.admin(http.MethodPatch, "/connections/"+id, sh.Update.Request).wantError(t, 404, "inexistent_connection", "The connection does not exist.")
}

// TestDeleteConnectionPurgesItsUsers: the users of a deleted connection go
// with it, in the background; other connections' users stay. The API
// answers while they go.
func TestDeleteConnectionPurgesItsUsers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.work(func(cfg *jobs.Config, _ *jobs.Deps) { cfg.CleanupInterval = 20 * time.Millisecond })
	r := b.admin(http.MethodPost, "/connections", map[string]any{"name": "doomed", "strategy": "auth0"})
	r.wantStatus(t, http.StatusCreated)
	doomed := b.connection("doomed")
	b.putUsers(doomed, 1, 2500)
	kept := b.putUsers(b.connection(upa), 5000, 3)
	b.admin(http.MethodDelete, "/connections/"+doomed.ID, nil).wantStatus(t, http.StatusAccepted)
	// Gone for the API at once: no new users, no exports, not listed.
	b.admin(http.MethodPost, "/users", map[string]any{"connection": "doomed", "email": "late@example.com", "password": "Passwords hide"}).
		wantError(t, 400, "inexistent_connection", "The connection does not exist.")
	if names := connectionNames(t, b); slices.Contains(names, "doomed") {
		t.Errorf("connections listed after DELETE: %v", names)
	}
	testutil.WaitFor(t, time.Minute, "the deleted connection's users to be purged", func() (string, bool) {
		n := b.userCount()
		return fmt.Sprintf("%d users left, want %d", n, len(kept)), n == int64(len(kept))
	})
	// Purged whole: the name is free again.
	testutil.Eventually(t, time.Minute, "the deleted connection's name to be free", func() bool {
		r := b.admin(http.MethodPost, "/connections", map[string]any{"name": "doomed", "strategy": "auth0"})
		if r.status == http.StatusCreated {
			return true
		}
		r.wantError(t, 409, "connection_conflicts", "A connection with the same name already exists")
		return false
	})
}

// connectionNames lists the tenant's connection names.
func connectionNames(t *testing.T, b *env) []string {
	t.Helper()
	r := b.admin(http.MethodGet, "/connections?fields=name", nil)
	r.wantStatus(t, http.StatusOK)
	var list []map[string]any
	r.decode(t, &list)
	var names []string
	for _, c := range list {
		if _, ok := c["is_domain_connection"]; len(c) != 2 || !ok {
			t.Errorf("fields=name: %v, want only the name and is_domain_connection (always there, as Auth0's)", c)
		}
		names = append(names, c["name"].(string))
	}
	return names
}

// TestUsersByEmail: Auth0's exact, case-sensitive lookup over every
// connection, an array, with fields and include_fields.
func TestUsersByEmail(t *testing.T) {
	t.Parallel()
	var sh userShapes
	readShapes(t, "users.json", &sh)
	b := setup(t)
	b.admin(http.MethodPost, "/connections", map[string]any{"name": "second", "strategy": "auth0"}).wantStatus(t, http.StatusCreated)
	a := b.createUser(map[string]any{"connection": upa, "email": "Same@Example.com", "password": "Passwords hide"})
	c := b.createUser(map[string]any{"connection": "second", "email": "same@example.com", "password": "Passwords hide"})
	b.createUser(map[string]any{"connection": upa, "email": "other@example.com", "password": "Passwords hide"})
	r := b.admin(http.MethodGet, "/users-by-email?email=same%40example.com", nil)
	r.wantStatus(t, sh.UsersByEmail.Status)
	var list []json.RawMessage
	r.decode(t, &list)
	want := []string{a["user_id"].(string), c["user_id"].(string)}
	slices.Sort(want)
	if len(list) != 2 || getString(t, string(list[0]), "user_id") != want[0] || getString(t, string(list[1]), "user_id") != want[1] {
		t.Fatalf("users-by-email = %s, want %v", r.body, want)
	}
	wantKeys(t, "users-by-email[0]", list[0], testutil.JSONKeys(t, b.admin(http.MethodGet, userPath(want[0]), nil).body))
	b.admin(http.MethodGet, "/users-by-email?email=Same%40Example.com", nil).want(t, 200, `[]`) // case-sensitive, as Auth0
	b.admin(http.MethodGet, "/users-by-email?email=nobody%40example.com", nil).want(t, 200, `[]`)
	b.admin(http.MethodGet, "/users-by-email?email=same%40example.com&fields=email,user_id", nil).
		want(t, 200, `[{"email":"same@example.com","user_id":"`+want[0]+`"},{"email":"same@example.com","user_id":"`+want[1]+`"}]`)
	r = b.admin(http.MethodGet, "/users-by-email?email=same%40example.com&fields=identities,user_metadata,picture&include_fields=false", nil)
	r.decode(t, &list)
	wantKeys(t, "include_fields=false", list[0], []string{"created_at", "email", "email_verified", "name", "nickname", "updated_at", "user_id"})
	b.admin(http.MethodGet, "/users-by-email", nil).wantError(t, 400, "invalid_query_string", "Query validation error: 'Missing required property: email'.")
	b.admin(http.MethodGet, "/users-by-email?email=a%40b.co&include_fields=maybe", nil).
		wantError(t, 400, "invalid_query_string", "Query validation error: 'Expected type boolean but found type string' on property include_fields.")
	b.api(http.MethodGet, "/users-by-email?email=a%40b.co", b.token("read:connections"), nil).
		wantError(t, 403, "insufficient_scope", "Insufficient scope, expected any of: read:users")
}

// TestFieldsParameters: fields and include_fields on GET /users, GET
// /users/{id}, GET /connections and GET /connections/{id}, as auth0-python
// sends them (include_fields=true always).
func TestFieldsParameters(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.createUser(map[string]any{"connection": upa, "email": "fields@example.com", "password": "Passwords hide"})
	id := u["user_id"].(string)
	b.admin(http.MethodGet, "/users?fields=user_id,email&include_fields=true", nil).
		want(t, 200, `[{"email":"fields@example.com","user_id":"`+id+`"}]`)
	r := b.admin(http.MethodGet, "/users?fields=user_id&include_totals=true", nil)
	r.want(t, 200, `{"start":0,"limit":50,"length":1,"total":1,"users":[{"user_id":"`+id+`"}]}`)
	b.admin(http.MethodGet, userPath(id)+"?fields=email", nil).want(t, 200, `{"email":"fields@example.com"}`)
	r = b.admin(http.MethodGet, userPath(id)+"?fields=identities,picture,user_metadata,created_at,updated_at,user_id,name,nickname&include_fields=false", nil)
	wantKeys(t, "include_fields=false", r.body, []string{"email", "email_verified"})
	b.admin(http.MethodGet, userPath(id)+"?include_fields=true", nil).wantStatus(t, 200)
	conn := b.connection(upa)
	b.admin(http.MethodGet, "/connections?fields=id,name&include_fields=true", nil).
		want(t, 200, `[{"id":"`+conn.ID+`","name":"`+upa+`","is_domain_connection":false}]`)
	r = b.admin(http.MethodGet, "/connections/"+conn.ID+"?fields=options,enabled_clients,realms&include_fields=false", nil)
	wantKeys(t, "connection, include_fields=false", r.body, []string{"id", "strategy", "name", "is_domain_connection"})
	b.admin(http.MethodGet, "/connections?include_totals=true&fields=name", nil).
		want(t, 200, `{"start":0,"limit":50,"length":1,"total":1,"connections":[{"name":"`+upa+`","is_domain_connection":false}]}`)
	b.admin(http.MethodGet, "/users?include_fields=1", nil).
		wantError(t, 400, "invalid_query_string", "Query validation error: 'Expected type boolean but found type string' on property include_fields.")
}
