package importer_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/importer"
)

var (
	buildNow = time.Date(2026, 3, 4, 5, 6, 7, 890_000_000, time.UTC)
	target   = &userport.Connection{Tenant: "dev", ID: "con_AAAAAAAAAAAAAAAA", Name: "Target", Strategy: "auth0"}
)

// builder is a Builder into the target connection at buildNow.
func builder() *importer.Builder {
	return &importer.Builder{Tenant: "dev", Connection: target, Now: buildNow}
}

// bcryptHash is a well-formed bcrypt hash.
const bcryptHash = "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"

// issue is an expected per-user error: code, path and message.
type issue struct{ code, path, message string }

func TestBuildIssues(t *testing.T) {
	long := strings.Repeat("é", 301)
	tests := []struct {
		name   string
		record string
		want   []issue
	}{
		{"not an object", `"jane@example.com"`, []issue{{"INVALID_TYPE", "", "Expected type object but found type string"}}},
		{"an array", `[1]`, []issue{{"INVALID_TYPE", "", "Expected type object but found type array"}}},
		{"no email", `{"name":"Jane"}`, []issue{{"OBJECT_MISSING_REQUIRED_PROPERTY", "email", "Error in email property - Missing required property: email"}}},
		{"email not a string", `{"email":42}`, []issue{{"INVALID_TYPE", "email", "Error in email property - Expected type string but found type integer"}}},
		{"email null", `{"email":null}`, []issue{{"INVALID_TYPE", "email", "Error in email property - Expected type string but found type null"}}},
		{"email malformed", `{"email":"jane@"}`, []issue{{"INVALID_FORMAT", "email", "Error in email property - Object didn't pass validation for format email: jane@"}}},
		{"email empty", `{"email":""}`, []issue{{"MIN_LENGTH", "email", "Error in email property - String is too short (0 chars), minimum 1"}}},
		{"name too long", `{"email":"a@b.co","name":"` + long + `"}`, []issue{{"MAX_LENGTH", "name", "Error in name property - String is too long (301 chars), maximum 300"}}},
		{"duplicate email", `{"email":"a@b.co","name":"x","email":"c@d.co"}`, []issue{{"INVALID_FORMAT", "email", "Error in email property - Duplicate property: email"}}},
		{"duplicate escaped key", `{"email":"a@b.co","\u0065mail":"c@d.co"}`, []issue{{"INVALID_FORMAT", "email", "Error in email property - Duplicate property: email"}}},
		{"duplicate metadata key", `{"email":"a@b.co","user_metadata":{"p":{"a":1,"a":2}}}`, []issue{{"INVALID_FORMAT", "user_metadata.p.a", "Error in user_metadata.p.a property - Duplicate property: user_metadata.p.a"}}},
		{"duplicate identity key", `{"email":"a@b.co","identities":[{},{"connection":"c","provider":"p","user_id":"1","user_id":"2"}]}`, []issue{{"INVALID_FORMAT", "identities[1].user_id", "Error in identities[1].user_id property - Duplicate property: identities[1].user_id"}}},
		{"invalid UTF-8", "{\"email\":\"a@b.co\",\"name\":\"\xff\"}", []issue{{"INVALID_FORMAT", "", "Invalid JSON: the user is not valid UTF-8"}}},
		{"picture not a URL", `{"email":"a@b.co","picture":"javascript:alert(1)"}`, []issue{{"INVALID_FORMAT", "picture", "Error in picture property - Object didn't pass validation for format url: javascript:alert(1)"}}},
		{"picture relative", `{"email":"a@b.co","picture":"/img/a.png"}`, []issue{{"INVALID_FORMAT", "picture", "Error in picture property - Object didn't pass validation for format url: /img/a.png"}}},
		{"email_verified a string", `{"email":"a@b.co","email_verified":"true"}`, []issue{{"INVALID_TYPE", "email_verified", "Error in email_verified property - Expected type boolean but found type string"}}},
		{"metadata an array", `{"email":"a@b.co","user_metadata":[],"app_metadata":"x"}`, []issue{
			{"INVALID_TYPE", "user_metadata", "Error in user_metadata property - Expected type object but found type array"},
			{"INVALID_TYPE", "app_metadata", "Error in app_metadata property - Expected type object but found type string"}}},
		{"unknown attribute", `{"email":"a@b.co","favourite_colour":"red"}`, []issue{{"OBJECT_ADDITIONAL_PROPERTIES", "favourite_colour", "Error in favourite_colour property - Additional properties not allowed: favourite_colour"}}},
		{"plain password", `{"email":"a@b.co","password":"hunter2!"}`, []issue{{"OBJECT_ADDITIONAL_PROPERTIES", "password", "Error in password property - Additional properties not allowed: password"}}},
		{"user_id of another provider", `{"email":"a@b.co","user_id":"google-oauth2|123"}`, []issue{{"PATTERN", "user_id", `Error in user_id property - String does not match pattern ^[^|\s]+\|[^|\s]+$: google-oauth2|123`}}},
		{"user_id with space", `{"email":"a@b.co","user_id":"auth0|a b"}`, []issue{{"PATTERN", "user_id", `Error in user_id property - String does not match pattern ^[^|\s]+\|[^|\s]+$: auth0|a b`}}},
		{"user_id too long with its prefix", `{"email":"a@b.co","user_id":"` + strings.Repeat("a", 250) + `"}`, []issue{{"MAX_LENGTH", "user_id", "Error in user_id property - String is too long (256 chars), maximum 255"}}},
		{"created_at malformed", `{"email":"a@b.co","created_at":"yesterday"}`, []issue{{"INVALID_FORMAT", "created_at", "Error in created_at property - Object didn't pass validation for format date-time: yesterday"}}},
		{"updated_at malformed", `{"email":"a@b.co","updated_at":12}`, []issue{{"INVALID_TYPE", "updated_at", "Error in updated_at property - Expected type string but found type integer"}}},
		{"last_ip malformed", `{"email":"a@b.co","last_ip":"1.2.3"}`, []issue{{"INVALID_FORMAT", "last_ip", "Error in last_ip property - Object didn't pass validation for format ip: 1.2.3"}}},
		{"logins_count negative", `{"email":"a@b.co","logins_count":-1}`, []issue{{"MINIMUM", "logins_count", "Error in logins_count property - Value -1 is less than minimum 0"}}},
		{"logins_count fractional", `{"email":"a@b.co","logins_count":1.5}`, []issue{{"INVALID_TYPE", "logins_count", "Error in logins_count property - Expected type integer but found type number"}}},
		{"password_hash not bcrypt", `{"email":"a@b.co","password_hash":"md5:abc"}`, []issue{{"PATTERN", "password_hash", "Error in password_hash property - String does not match pattern of a bcrypt hash ($2a$, $2b$ or $2y$)"}}},
		{"custom hash unknown algorithm", `{"email":"a@b.co","custom_password_hash":{"algorithm":"rot13","hash":{"value":"x"}}}`, []issue{{"ENUM_MISMATCH", "custom_password_hash.algorithm", `Error in custom_password_hash.algorithm property - No enum match for: "rot13"`}}},
		{"custom hash incomplete", `{"email":"a@b.co","custom_password_hash":{"hash":{}}}`, []issue{
			{"OBJECT_MISSING_REQUIRED_PROPERTY", "custom_password_hash.algorithm", "Error in custom_password_hash.algorithm property - Missing required property: algorithm"},
			{"OBJECT_MISSING_REQUIRED_PROPERTY", "custom_password_hash.hash.value", "Error in custom_password_hash.hash.value property - Missing required property: hash.value"}}},
		{"identities not an array", `{"email":"a@b.co","identities":{}}`, []issue{{"INVALID_TYPE", "identities", "Error in identities property - Expected type array but found type object"}}},
		{"linked identity malformed", `{"email":"a@b.co","identities":[{},{"provider":"github","user_id":7,"extra":1}]}`, []issue{
			{"INVALID_TYPE", "identities[1].user_id", "Error in identities[1].user_id property - Expected type string but found type integer"},
			{"OBJECT_ADDITIONAL_PROPERTIES", "identities[1].extra", "Error in identities[1].extra property - Additional properties not allowed: extra"},
			{"OBJECT_MISSING_REQUIRED_PROPERTY", "identities[1].connection", "Error in identities[1].connection property - Missing required property: connection"}}},
		{"several issues", `{"email":7,"blocked":"no","nickname":""}`, []issue{
			{"INVALID_TYPE", "email", "Error in email property - Expected type string but found type integer"},
			{"INVALID_TYPE", "blocked", "Error in blocked property - Expected type boolean but found type string"},
			{"MIN_LENGTH", "nickname", "Error in nickname property - String is too short (0 chars), minimum 1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, failed := builder().Build(12, json.RawMessage(tt.record))
			if u != nil || failed == nil {
				t.Fatalf("Build accepted %s", tt.record)
			}
			if failed.Record != 12 {
				t.Errorf("Record = %d, want 12", failed.Record)
			}
			var got []issue
			for _, is := range failed.Errors {
				got = append(got, issue{is.Code, is.Path, is.Message})
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("issues =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestBuildMasksSecrets(t *testing.T) {
	record := `{"email":"bad","password":"hunter2!","password_hash":"` + bcryptHash + `",` +
		`"custom_password_hash":{"algorithm":"md5","hash":{"value":"abc"}},"name":"Jane \"J\""}`
	_, failed := builder().Build(0, json.RawMessage(record))
	if failed == nil {
		t.Fatal("Build accepted a bad email")
	}
	want := `{"email":"bad","password":"*****","password_hash":"*****","custom_password_hash":"*****","name":"Jane \"J\""}`
	if string(failed.User) != want {
		t.Errorf("echo = %s\nwant   %s", failed.User, want)
	}
	if !json.Valid(failed.User) {
		t.Errorf("echo is not JSON")
	}
	// A valid user's echo is masked too: a store error reports it.
	ok := `{"email":"a@b.co","password_hash":"` + bcryptHash + `"}`
	u, _ := builder().Build(0, json.RawMessage(ok))
	if u == nil || string(u.Echo()) != `{"email":"a@b.co","password_hash":"*****"}` {
		t.Errorf("valid user's echo = %s", u.Echo())
	}
	// A TOTP secret (valid: userport takes mfa_factors and drops them) and a
	// linked identity's tokens (rejected: not in the schema) are masked.
	mfa := `{"email":"a@b.co","mfa_factors":[{"totp":{"secret":"JBSWY3DPEHPK3PNP"}}]}`
	if u, _ := builder().Build(0, json.RawMessage(mfa)); u == nil || strings.Contains(string(u.Echo()), "JBSWY3DPEHPK3PNP") {
		t.Errorf("valid user's echo with a TOTP secret: %+v", u)
	}
	tokens := `{"email":"a@b.co","identities":[{},{"connection":"github","provider":"github","user_id":"1",` +
		`"access_token":"gho_SECRET","refresh_token":"ghr_SECRET"}]}`
	if _, failed := builder().Build(0, json.RawMessage(tokens)); failed == nil || strings.Contains(string(failed.User), "SECRET") {
		t.Errorf("rejected user's echo with identity tokens = %+v", failed)
	}
	plain := `{"email":"a@b.co"}`
	if u, _ := builder().Build(0, json.RawMessage(plain)); string(u.Echo()) != plain {
		t.Errorf("echo without secrets = %s, want the record", u.Echo())
	}
}

// profile decodes a user's document.
func profile(t *testing.T, u *userport.User) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(u.Doc, &m); err != nil {
		t.Fatalf("doc %s: %v", u.Doc, err)
	}
	return m
}

func TestBuildExportedUser(t *testing.T) {
	record := `{"user_id":"auth0|65f0a1b2c3d4e5f601234567","email":"Jane.Doe@Example.com","email_verified":true,` +
		`"username":"jane_doe","phone_number":"+447700900123","phone_verified":false,"name":"Doe, Jane",` +
		`"given_name":"Jane","family_name":"Doe","nickname":"jd","picture":"https://cdn.example.com/a.jpg?x=1&y=2",` +
		`"identities":[{"connection":"Source","provider":"auth0","user_id":"65f0a1b2c3d4e5f601234567","isSocial":false},` +
		`{"connection":"github","provider":"github","user_id":"42","isSocial":true}],` +
		`"user_metadata":{"b":1,"a":{"z":[1,2]}},"app_metadata":{"plan":"pro"},"blocked":true,` +
		`"created_at":"2021-05-06T07:08:09.123Z","updated_at":"2024-01-01T00:00:00.000Z",` +
		`"last_login":"2023-02-03T04:05:06+01:00","last_ip":"2a02:1:2::3","logins_count":17,` +
		`"password_hash":"` + bcryptHash + `","custom_password_hash":{"algorithm":"sha256","hash":{"value":"abc","encoding":"hex"}}}`
	u, failed := builder().Build(3, json.RawMessage(record))
	if failed != nil {
		t.Fatalf("Build: %+v", failed)
	}
	// Auth0's key order (the domain's attribute table), whatever the record's.
	want := `{"blocked":true,"created_at":"2021-05-06T07:08:09.123Z","email":"jane.doe@example.com","email_verified":true,` +
		`"family_name":"Doe","given_name":"Jane","identities":[` +
		`{"connection":"Target","user_id":"65f0a1b2c3d4e5f601234567","provider":"auth0","isSocial":false},` +
		`{"connection":"github","user_id":"42","provider":"github","isSocial":true}],"name":"Doe, Jane","nickname":"jd",` +
		`"phone_number":"+447700900123","phone_verified":false,"picture":"https://cdn.example.com/a.jpg?x=1&y=2",` +
		`"updated_at":"2026-03-04T05:06:07.890Z","user_id":"auth0|65f0a1b2c3d4e5f601234567",` +
		`"user_metadata":{"b":1,"a":{"z":[1,2]}},"username":"jane_doe","app_metadata":{"plan":"pro"},` +
		`"last_ip":"2a02:1:2::3","last_login":"2023-02-03T03:05:06.000Z","logins_count":17}`
	if string(u.User.Doc) != want {
		t.Errorf("doc =\n%s\nwant\n%s", u.User.Doc, want)
	}
	x := u.User
	if x.UserID != "auth0|65f0a1b2c3d4e5f601234567" || x.ConnectionID != target.ID || x.Tenant != "dev" ||
		x.Email != "jane.doe@example.com" || x.Username != "jane_doe" || x.PasswordHash != bcryptHash {
		t.Errorf("user columns = %+v", x)
	}
	if !x.CreatedAt.Equal(time.Date(2021, 5, 6, 7, 8, 9, 123_000_000, time.UTC)) || !x.UpdatedAt.Equal(buildNow.Truncate(time.Millisecond)) {
		t.Errorf("created %v updated %v", x.CreatedAt, x.UpdatedAt)
	}
	if string(u.CustomPasswordHash) != `{"algorithm":"sha256","hash":{"value":"abc","encoding":"hex"}}` {
		t.Errorf("custom hash = %s", u.CustomPasswordHash)
	}
	if u.Record != 3 {
		t.Errorf("Record = %d, want 3", u.Record)
	}
}

func TestBuildMinimalUser(t *testing.T) {
	for _, id := range []string{`"user_id":"abc123",`, `"user_id":"auth0|abc123",`, ``} {
		u, failed := builder().Build(0, json.RawMessage(`{`+id+`"email":"jane@example.com"}`))
		if failed != nil {
			t.Fatalf("Build: %+v", failed)
		}
		p := profile(t, u.User)
		wantID := "auth0|abc123"
		if id == "" {
			wantID = p["user_id"].(string)
			if !strings.HasPrefix(wantID, "auth0|") || len(wantID) != 30 {
				t.Errorf("generated user_id %q", wantID)
			}
		}
		want := map[string]any{"user_id": wantID, "email": "jane@example.com", "email_verified": false,
			"name": "jane@example.com", "nickname": "jane",
			"picture":    "https://s.gravatar.com/avatar/9e26471d35a78862c17e467d87cddedf?s=480&r=pg&d=mp",
			"identities": []any{map[string]any{"connection": "Target", "provider": "auth0", "user_id": strings.TrimPrefix(wantID, "auth0|"), "isSocial": false}},
			"created_at": "2026-03-04T05:06:07.890Z", "updated_at": "2026-03-04T05:06:07.890Z"}
		if fmt.Sprint(p) != fmt.Sprint(want) {
			t.Errorf("profile =\n%v\nwant\n%v", p, want)
		}
		if u.User.UserID != wantID || u.User.PasswordHash != "" || u.CustomPasswordHash != nil {
			t.Errorf("user = %+v, custom %s", u.User, u.CustomPasswordHash)
		}
	}
}

func TestBuildUpdate(t *testing.T) {
	old := `{"email":"old@example.com","name":"Old","user_metadata":{"keep":false,"a":1},"app_metadata":{"x":1},` +
		`"created_at":"2020-01-01T00:00:00.000Z","logins_count":3,"identities":[{"connection":"Target","provider":"auth0","user_id":"old1"}]}`
	oldUser, failed := builder().Build(0, json.RawMessage(strings.Replace(old, `{`, `{"user_id":"old1",`, 1)))
	if failed != nil {
		t.Fatalf("Build: %+v", failed)
	}
	oldUser.User.PasswordHash = "$2b$10$old"
	tests := []struct {
		name, record string
		want         map[string]any // attributes of the result that differ from the old user
		hash         string
	}{
		{"metadata replaced wholesale", `{"email":"old@example.com","user_metadata":{"b":2}}`,
			map[string]any{"user_metadata": map[string]any{"b": 2.0}}, "$2b$10$old"},
		{"attributes replaced, others kept", `{"user_id":"new9","email":"New@Example.com","name":"New","blocked":true,"password_hash":"` + bcryptHash + `"}`,
			map[string]any{"email": "new@example.com", "name": "New", "blocked": true}, bcryptHash},
		{"linked identities replaced", `{"email":"old@example.com","identities":[{"connection":"X","provider":"auth0","user_id":"zz"},{"connection":"github","provider":"github","user_id":"7"}]}`,
			map[string]any{"identities": []any{map[string]any{"connection": "Target", "provider": "auth0", "user_id": "old1", "isSocial": false},
				map[string]any{"connection": "github", "provider": "github", "user_id": "7", "isSocial": false}}}, "$2b$10$old"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, failed := builder().Build(1, json.RawMessage(tt.record))
			if failed != nil {
				t.Fatalf("Build: %+v", failed)
			}
			got, err := u.Update(oldUser.User)
			if err != nil {
				t.Fatalf("Update: %v", err)
			}
			want := profile(t, oldUser.User)
			for k, v := range tt.want {
				want[k] = v
			}
			if got.UserID != "auth0|old1" || got.PasswordHash != tt.hash || got.ConnectionID != target.ID {
				t.Errorf("user = %s %q %s, want auth0|old1 %q", got.UserID, got.PasswordHash, got.ConnectionID, tt.hash)
			}
			if fmt.Sprint(profile(t, got)) != fmt.Sprint(want) {
				t.Errorf("updated profile =\n%v\nwant\n%v", profile(t, got), want)
			}
		})
	}
}
