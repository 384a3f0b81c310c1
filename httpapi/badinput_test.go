package httpapi_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// badCase is a request that must get a 4xx Management API error body.
type badCase struct {
	name      string
	body      string
	status    int
	errorCode string
	message   string
}

// invalidBody is the 400 invalid_body case with Auth0's message prefix.
func invalidBody(name, body, msg string) badCase {
	return badCase{name, body, 400, "invalid_body", "Payload validation error: " + msg}
}

// bodyShapeCases are the bodies that are not a JSON object, for any endpoint.
var bodyShapeCases = []badCase{
	invalidBody("malformed JSON", `{"connection":`, `'Invalid JSON'.`),
	invalidBody("trailing garbage", `{"connection":"x"} x`, `'Invalid JSON'.`),
	invalidBody("two objects", `{}{}`, `'Invalid JSON'.`),
	invalidBody("array", `[{"connection":"x"}]`, `'Expected type object but found type array'.`),
	invalidBody("empty body", ``, `'Expected type object but found type null'.`),
	invalidBody("blank body", " \n ", `'Expected type object but found type null'.`),
	invalidBody("null", `null`, `'Expected type object but found type null'.`),
	invalidBody("string", `"x"`, `'Expected type object but found type string'.`),
	invalidBody("number", `42`, `'Expected type object but found type integer'.`),
	invalidBody("deeply nested", strings.Repeat("[", 20000)+strings.Repeat("]", 20000), `'Invalid JSON'.`),
	invalidBody("duplicate key", `{"connection":"a","name":"x","connection":"b"}`, `'Duplicate property: connection'.`),
	invalidBody("duplicate key, escaped", `{"name":"x","n\u0061me":"y"}`, `'Duplicate property: name'.`),
	invalidBody("duplicate nested key", `{"user_metadata":{"a":[{"b":1,"b":2}]}}`, `'Duplicate property: user_metadata.a[0].b'.`),
	invalidBody("duplicate 10 KB key", `{"`+strings.Repeat("k", 10<<10)+`":1,"`+strings.Repeat("k", 10<<10)+`":2}`,
		`'Duplicate property: `+strings.Repeat("k", 32)+`…'.`),
	invalidBody("invalid UTF-8", "{\"name\":\"\xff\xfe\"}", `'Invalid JSON: the body is not valid UTF-8'.`),
	invalidBody("invalid UTF-8 in a key", "{\"\xc3\":1}", `'Invalid JSON: the body is not valid UTF-8'.`),
}

// userBody returns a valid create-user body with the extra JSON members
// appended; a valid member that extra names again is left out (a key given
// twice is a 400 of its own).
func userBody(extra string) string {
	var given map[string]json.RawMessage
	_ = json.Unmarshal([]byte("{"+strings.TrimPrefix(extra, ",")+"}"), &given)
	body := "{"
	for _, m := range [][2]string{{"connection", upa}, {"email", "new@example.com"}, {"password", "Passw0rd!x"}} {
		if _, ok := given[m[0]]; !ok {
			body += `"` + m[0] + `":"` + m[1] + `",`
		}
	}
	return strings.TrimSuffix(body+strings.TrimPrefix(extra, ","), ",") + "}"
}

func TestCreateUserBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cases := append(slices.Clone(bodyShapeCases),
		invalidBody("unknown key", userBody(`,"foo":1`), `'Additional properties not allowed: foo'.`),
		invalidBody("missing connection", `{"email":"a@example.com","password":"Passw0rd!x"}`, `'Missing required property: connection'.`),
		invalidBody("missing email", `{"connection":"`+upa+`","password":"Passw0rd!x"}`, `'Missing required property: email'.`),
		invalidBody("missing password", `{"connection":"`+upa+`","email":"a@example.com"}`, `'Missing required property: password'.`),
		invalidBody("connection a number", `{"connection":1}`, `'Expected type string but found type integer' on property connection.`),
		invalidBody("email a number", userBody(`,"email":42`), `'Expected type string but found type integer' on property email.`),
		invalidBody("email a float", userBody(`,"email":4.2`), `'Expected type string but found type number' on property email.`),
		invalidBody("email empty", userBody(`,"email":""`), `'String is too short (0 chars), minimum 1' on property email.`),
		invalidBody("email null", userBody(`,"email":null`), `'Expected type string but found type null' on property email.`),
		invalidBody("bad email", userBody(`,"email":"not-an-email"`), `'Object didn't pass validation for format email: not-an-email' on property email.`),
		invalidBody("email_verified a string", userBody(`,"email_verified":"true"`), `'Expected type boolean but found type string' on property email_verified.`),
		invalidBody("verify_email a number", userBody(`,"verify_email":1`), `'Expected type boolean but found type integer' on property verify_email.`),
		invalidBody("blocked a string", userBody(`,"blocked":"yes"`), `'Expected type boolean but found type string' on property blocked.`),
		invalidBody("user_metadata an array", userBody(`,"user_metadata":[]`), `'Expected type object but found type array' on property user_metadata.`),
		invalidBody("app_metadata a string", userBody(`,"app_metadata":"x"`), `'Expected type object but found type string' on property app_metadata.`),
		invalidBody("password a number", userBody(`,"password":12345678`), `'Expected type string but found type integer' on property password.`),
		invalidBody("name an object", userBody(`,"name":{}`), `'Expected type string but found type object' on property name.`),
		invalidBody("username too long", userBody(`,"username":"`+strings.Repeat("u", 129)+`"`), `'String is too long (129 chars), maximum 128' on property username.`),
		invalidBody("user_id with another provider", userBody(`,"user_id":"google|1"`), `'String does not match pattern ^[^|\s]+\|[^|\s]+$: google|1' on property user_id.`),
		invalidBody("user_id with a space", userBody(`,"user_id":"a b"`), `'String does not match pattern ^[^|\s]+\|[^|\s]+$: a b' on property user_id.`),
		badCase{"unknown connection", `{"connection":"Nope","email":"a@example.com","password":"Passw0rd!x"}`, 400, "inexistent_connection", "The connection does not exist."},
		badCase{"weak password", userBody(`,"password":"short"`), 400, "invalid_password", "PasswordStrengthError: Password is too weak"},
		badCase{"password over 72 bytes", userBody(`,"password":"` + strings.Repeat("p", 73) + `"`), 400, "invalid_password", "PasswordStrengthError: Password is too long"},
		badCase{"oversized body", oversizedUser(1<<20 + 1), 413, "", "Payload content length greater than maximum allowed: 1048576"},
		badCase{"much oversized body", oversizedUser(3 << 20), 413, "", "Payload content length greater than maximum allowed: 1048576"},
	)
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			b.admin(http.MethodPost, "/users", tt.body).wantError(t, tt.status, tt.errorCode, tt.message)
			if n := b.userCount(); n != 0 {
				t.Fatalf("%d users after a refused create, want 0", n)
			}
		})
	}
	// A body of exactly the limit is accepted.
	b.admin(http.MethodPost, "/users", oversizedUser(1<<20)).wantStatus(t, http.StatusCreated)
	if n := b.userCount(); n != 1 {
		t.Fatalf("%d users, want 1", n)
	}
}

// oversizedUser returns a valid create-user body of exactly n bytes.
func oversizedUser(n int) string {
	head := `{"connection":"` + upa + `","email":"big@example.com","password":"Passw0rd!x","user_metadata":{"pad":"`
	tail := `"}}`
	return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
}

func TestUpdateUserBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createUser(map[string]any{"connection": upa, "email": "dana@example.com", "password": "Passw0rd!x",
		"user_metadata": map[string]any{"a": 1}})["user_id"].(string)
	before := b.storedUser(id)
	cases := append(slices.Clone(bodyShapeCases),
		invalidBody("empty object", `{}`, `'Too few properties defined (0), minimum 1'.`),
		invalidBody("user_id", `{"user_id":"x"}`, `'Additional properties not allowed: user_id'.`),
		invalidBody("unknown key", `{"name":"ok","foo":1}`, `'Additional properties not allowed: foo'.`),
		invalidBody("email a number", `{"email":5}`, `'Expected type string but found type integer' on property email.`),
		invalidBody("bad email", `{"email":"bad"}`, `'Object didn't pass validation for format email: bad' on property email.`),
		invalidBody("name empty", `{"name":""}`, `'String is too short (0 chars), minimum 1' on property name.`),
		invalidBody("user_metadata an array", `{"user_metadata":[]}`, `'Expected type object but found type array' on property user_metadata.`),
		invalidBody("app_metadata a string", `{"app_metadata":"x"}`, `'Expected type object but found type string' on property app_metadata.`),
		invalidBody("blocked a string, after a good change", `{"given_name":"ok","blocked":"yes"}`, `'Expected type boolean but found type string' on property blocked.`),
		invalidBody("email_verified a number", `{"email_verified":0}`, `'Expected type boolean but found type integer' on property email_verified.`),
		invalidBody("password null", `{"password":null}`, `'Expected type string but found type null' on property password.`),
		invalidBody("connection a number", `{"connection":5}`, `'Expected type string but found type integer' on property connection.`),
		invalidBody("verify_email a string", `{"verify_email":"no"}`, `'Expected type boolean but found type string' on property verify_email.`),
		badCase{"weak password", `{"password":"short","name":"x"}`, 400, "invalid_password", "PasswordStrengthError: Password is too weak"},
		badCase{"oversized body", `{"user_metadata":{"pad":"` + strings.Repeat("x", 1<<20) + `"}}`, 413, "", "Payload content length greater than maximum allowed: 1048576"},
	)
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			b.admin(http.MethodPatch, "/users/"+id, tt.body).wantError(t, tt.status, tt.errorCode, tt.message)
			after := b.storedUser(id)
			if string(after.Doc) != string(before.Doc) || after.PasswordHash != before.PasswordHash || !after.UpdatedAt.Equal(before.UpdatedAt) {
				t.Fatalf("user changed by a refused update:\n%s\nwas\n%s", after.Doc, before.Doc)
			}
		})
	}
}

func TestCreateConnectionBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cases := append(slices.Clone(bodyShapeCases),
		invalidBody("missing name", `{"strategy":"auth0"}`, `'Missing required property: name'.`),
		invalidBody("missing strategy", `{"name":"x"}`, `'Missing required property: strategy'.`),
		invalidBody("unknown key", `{"name":"x","strategy":"auth0","foo":1}`, `'Additional properties not allowed: foo'.`),
		invalidBody("name a number", `{"name":5,"strategy":"auth0"}`, `'Expected type string but found type integer' on property name.`),
		invalidBody("name with a space", `{"name":"bad name","strategy":"auth0"}`, `'String does not match pattern ^[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?$: bad name' on property name.`),
		invalidBody("name starting with -", `{"name":"-x","strategy":"auth0"}`, `'String does not match pattern ^[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?$: -x' on property name.`),
		invalidBody("name too long", `{"name":"`+strings.Repeat("n", 129)+`","strategy":"auth0"}`, `'String is too long (129 chars), maximum 128' on property name.`),
		invalidBody("other strategy", `{"name":"x","strategy":"google-oauth2"}`, `'No enum match for: google-oauth2' on property strategy (userport supports the auth0 strategy only).`),
		invalidBody("options an array", `{"name":"x","strategy":"auth0","options":[]}`, `'Expected type object but found type array' on property options.`),
		invalidBody("enabled_clients a string", `{"name":"x","strategy":"auth0","enabled_clients":"a"}`, `'Expected type array of strings but found type string' on property enabled_clients.`),
		badCase{"oversized body", `{"name":"x","strategy":"auth0","options":{"pad":"` + strings.Repeat("x", 1<<20) + `"}}`, 413, "", "Payload content length greater than maximum allowed: 1048576"},
	)
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			b.admin(http.MethodPost, "/connections", tt.body).wantError(t, tt.status, tt.errorCode, tt.message)
			if n := b.connectionCount(); n != 1 {
				t.Fatalf("%d connections after a refused create, want 1", n)
			}
		})
	}
}

func TestBadQuery(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.putUsers(b.connection(upa), 1, 3)
	q := func(msg string) string { return "Query validation error: " + msg }
	tests := []struct {
		path string
		msg  string
	}{
		{"/users?page=-1", `'Value -1 is less than minimum 0' on property page.`},
		{"/users?per_page=0", `'Value 0 is less than minimum 1' on property per_page.`},
		{"/users?per_page=101", `'Value 101 is greater than maximum 100' on property per_page.`},
		{"/users?per_page=abc", `'Expected type integer but found type string' on property per_page.`},
		{"/users?per_page=", `'Expected type integer but found type string' on property per_page.`},
		{"/users?page=1.5", `'Expected type integer but found type string' on property page.`},
		{"/users?page=99999999999999999999", `'Expected type integer but found type string' on property page.`},
		{"/users?include_totals=maybe", `'Expected type boolean but found type string' on property include_totals.`},
		{"/users?include_totals=1", `'Expected type boolean but found type string' on property include_totals.`},
		{"/users?foo=1", `'Additional properties not allowed: foo'.`},
		{"/users?page=1&page=2", `'Expected type string but found type array' on property page.`},
		{"/users?page=%zz", `'Malformed query string'.`},
		{"/connections?per_page=101", `'Value 101 is greater than maximum 100' on property per_page.`},
		{"/connections?take=0", `'Value 0 is less than minimum 1' on property take.`},
		{"/connections?take=101", `'Value 101 is greater than maximum 100' on property take.`},
		{"/connections?include_totals=yes", `'Expected type boolean but found type string' on property include_totals.`},
		{"/connections?foo=1", `'Additional properties not allowed: foo'.`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			b.admin(http.MethodGet, tt.path, nil).wantError(t, 400, "invalid_query_string", q(tt.msg))
		})
	}
	// Pages far past the end are empty, not an error and not the first page.
	for _, path := range []string{"/users?page=9223372036854775807&per_page=100", "/users?page=92233720368547758&per_page=100",
		"/connections?page=9223372036854775807&per_page=100"} {
		t.Run(path, func(t *testing.T) {
			b.admin(http.MethodGet, path, nil).want(t, 200, `[]`)
		})
	}
}

func TestBadPath(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.putUsers(b.connection(upa), 1, 1)[0]
	userMsg := func(id string) string {
		return `Path validation error: 'String does not match pattern ^[^|\s]+\|[^|\s]+$: ` + id + `' on property id (Id of the user).`
	}
	long := "auth0|" + strings.Repeat("a", 300)
	tests := []struct {
		method, path string
		body         any
		msg          string
	}{
		{"GET", "/users/nopipe", nil, userMsg("nopipe")},
		{"PATCH", "/users/nopipe", map[string]any{"name": "x"}, userMsg("nopipe")},
		{"DELETE", "/users/nopipe", nil, userMsg("nopipe")},
		{"GET", "/users/auth0%7C", nil, userMsg("auth0|")},
		{"GET", "/users/%7Cabc", nil, userMsg("|abc")},
		{"GET", "/users/auth0%7Ca%20b", nil, userMsg("auth0|a b")},
		{"GET", "/users/" + long, nil, `Path validation error: 'String is too long (306 chars), maximum 255' on property id (Id of the user).`},
		{"GET", "/connections/nope", nil, `Path validation error: 'String does not match pattern ^con_[A-Za-z0-9]{16}$: nope' on property id.`},
		{"GET", "/connections/con_123", nil, `Path validation error: 'String does not match pattern ^con_[A-Za-z0-9]{16}$: con_123' on property id.`},
		{"GET", "/connections/con_000000000000000!", nil, `Path validation error: 'String does not match pattern ^con_[A-Za-z0-9]{16}$: con_000000000000000!' on property id.`},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			b.admin(tt.method, tt.path, tt.body).wantError(t, 400, "invalid_uri", tt.msg)
		})
	}
	if n := b.userCount(); n != 1 {
		t.Fatalf("%d users, want 1", n)
	}
	b.admin(http.MethodGet, "/users/"+id, nil).wantStatus(t, 200)
}

func TestUnknownRoutes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const notFound = `{"statusCode":404,"error":"Not Found","message":"Not Found"}`
	for _, tt := range []struct{ method, path string }{
		{"GET", "/api/v2/nope"},
		{"GET", "/api/v2/users/auth0|x/roles"},
		{"POST", "/api/v2/clients"},
		{"GET", "/api/v3/users"},
		{"GET", "/nope"},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := b.request(tt.method, tt.path, nil, "Authorization", "Bearer "+b.token())
			r.want(t, 404, notFound)
			b.request(tt.method, tt.path, nil).want(t, 404, notFound)
		})
	}
}

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

// TestConnectionPatchDeleteBadInput: a bad PATCH or DELETE of a connection
// gets Auth0's 400, never a 500.
func TestConnectionPatchDeleteBadInput(t *testing.T) {
	t.Parallel()
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
