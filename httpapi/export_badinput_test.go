package httpapi_test

// Every 4xx of the export endpoints, with its exact body, and no job written.

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
)

// exBad is a request that must be refused.
type exBad struct {
	name   string
	body   string
	status int
	code   string
	msg    string
}

// exInvalid is a 400 invalid_body case.
func exInvalid(name, body, msg string) exBad {
	return exBad{name, body, 400, "invalid_body", "Payload validation error: " + msg}
}

// exFieldsBody is an export body with the given fields JSON.
func exFieldsBody(format, fields string) string {
	return `{"format":"` + format + `","fields":` + fields + `}`
}

// exManyFields is a fields array of n distinct names.
func exManyFields(n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = `{"name":"f` + strings.Repeat("x", i) + `"}`
	}
	return "[" + strings.Join(items, ",") + "]"
}

func TestExportBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	long := strings.Repeat("a", 101)
	max := strings.Repeat("é", 100) // 100 characters, 200 bytes: allowed
	cases := []exBad{
		exInvalid("malformed JSON", `{"format":`, `'Invalid JSON'.`),
		exInvalid("trailing garbage", `{"format":"csv"} x`, `'Invalid JSON'.`),
		exInvalid("empty body", ``, `'Expected type object but found type null'.`),
		exInvalid("array body", `[{"format":"csv"}]`, `'Expected type object but found type array'.`),
		exInvalid("string body", `"csv"`, `'Expected type object but found type string'.`),
		exInvalid("unknown key", `{"format":"csv","connection":"Username-Password-Authentication"}`, `'Additional properties not allowed: connection'.`),
		exInvalid("connection_id pattern", `{"connection_id":"con_123"}`, `'String does not match pattern ^con_[A-Za-z0-9]{16}$: con_123' on property connection_id.`),
		exInvalid("connection_id a name", `{"connection_id":"`+upa+`"}`, `'String does not match pattern ^con_[A-Za-z0-9]{16}$: `+upa+`' on property connection_id.`),
		exInvalid("connection_id with a symbol", `{"connection_id":"con_AAAAAAAAAAAAAAA!"}`, `'String does not match pattern ^con_[A-Za-z0-9]{16}$: con_AAAAAAAAAAAAAAA!' on property connection_id.`),
		exInvalid("connection_id a number", `{"connection_id":12}`, `'Expected type string but found type integer' on property connection_id.`),
		exInvalid("connection_id null", `{"connection_id":null}`, `'Expected type string but found type null' on property connection_id.`),
		{"unknown connection", `{"connection_id":"con_AAAAAAAAAAAAAAAA"}`, 400, "inexistent_connection", "The connection does not exist."},
		exInvalid("format xml", `{"format":"xml"}`, `'No enum match for: "xml"' on property format.`),
		exInvalid("format upper case", `{"format":"CSV"}`, `'No enum match for: "CSV"' on property format.`),
		exInvalid("format ndjson", `{"format":"ndjson"}`, `'No enum match for: "ndjson"' on property format.`),
		exInvalid("format Parquet", `{"format":"Parquet"}`, `'No enum match for: "Parquet"' on property format.`),
		exInvalid("31 fields parquet", exFieldsBody("parquet", exManyFields(31)), `'Array is too long (31), maximum 30' on property fields.`),
		exInvalid("parquet path a..b", exFieldsBody("parquet", `[{"name":"a..b"}]`), `'Invalid field path "a..b": empty key at offset 2' on property fields[0].name.`),
		exInvalid("parquet duplicate export_as", exFieldsBody("parquet", `[{"name":"email","export_as":"e"},{"name":"username","export_as":"e"}]`), `'Duplicate field: e' on property fields[1].`),
		exInvalid("format a number", `{"format":1}`, `'Expected type string but found type integer' on property format.`),
		exInvalid("limit 0", `{"limit":0}`, `'Value 0 is less than minimum 1' on property limit.`),
		exInvalid("limit negative", `{"limit":-5}`, `'Value -5 is less than minimum 1' on property limit.`),
		exInvalid("limit float", `{"limit":2.5}`, `'Expected type integer but found type number' on property limit.`),
		exInvalid("limit exponent", `{"limit":1e3}`, `'Expected type integer but found type number' on property limit.`),
		exInvalid("limit string", `{"limit":"5"}`, `'Expected type integer but found type string' on property limit.`),
		exInvalid("limit boolean", `{"limit":true}`, `'Expected type integer but found type boolean' on property limit.`),
		exInvalid("limit null", `{"limit":null}`, `'Expected type integer but found type null' on property limit.`),
		exInvalid("limit huge", `{"limit":123456789012345678901234567890}`, `'Integer is out of range' on property limit.`),
		exInvalid("fields an object", exFieldsBody("csv", `{"name":"email"}`), `'Expected type array but found type object' on property fields.`),
		exInvalid("fields a string", exFieldsBody("json", `"email"`), `'Expected type array but found type string' on property fields.`),
		exInvalid("fields empty", exFieldsBody("csv", `[]`), `'Array is too short (0), minimum 1' on property fields.`),
		exInvalid("item a string", exFieldsBody("csv", `["email"]`), `'Expected type object but found type string' on property fields[0].`),
		exInvalid("item null", exFieldsBody("csv", `[{"name":"email"},null]`), `'Expected type object but found type null' on property fields[1].`),
		exInvalid("item with an extra key", exFieldsBody("csv", `[{"name":"email","as":"mail"}]`), `'Additional properties not allowed: as' on property fields[0].`),
		exInvalid("name missing", exFieldsBody("csv", `[{"export_as":"mail"}]`), `'Missing required property: name' on property fields[0].`),
		exInvalid("name a number", exFieldsBody("csv", `[{"name":1}]`), `'Expected type string but found type integer' on property fields[0].name.`),
		exInvalid("name empty", exFieldsBody("csv", `[{"name":""}]`), `'String is too short (0 chars), minimum 1' on property fields[0].name.`),
		exInvalid("name too long", exFieldsBody("csv", `[{"name":"email"},{"name":"`+long+`"}]`), `'String is too long (101 chars), maximum 100' on property fields[1].name.`),
		exInvalid("export_as a number", exFieldsBody("json", `[{"name":"email","export_as":1}]`), `'Expected type string but found type integer' on property fields[0].export_as.`),
		{"body over 1 MiB", exFieldsBody("csv", `[{"name":"`+strings.Repeat("x", 1<<20)+`"}]`), 413, "", "Payload content length greater than maximum allowed: 1048576"},
		exInvalid("export_as too long", exFieldsBody("json", `[{"name":"email","export_as":"`+long+`"}]`), `'String is too long (101 chars), maximum 100' on property fields[0].export_as.`),
		exInvalid("export_as empty", exFieldsBody("json", `[{"name":"email","export_as":""}]`), `'String is too short (0 chars), minimum 1' on property fields[0].export_as.`),
		exInvalid("31 fields csv", exFieldsBody("csv", exManyFields(31)), `'Array is too long (31), maximum 30' on property fields.`),
		exInvalid("31 fields json", exFieldsBody("json", exManyFields(31)), `'Array is too long (31), maximum 30' on property fields.`),
		exInvalid("csv user_metadata", exFieldsBody("csv", `[{"name":"email"},{"name":"user_metadata"}]`), `'user_metadata is an object or an array and cannot be exported to CSV' on property fields[1].name.`),
		exInvalid("csv app_metadata", exFieldsBody("csv", `[{"name":"app_metadata","export_as":"a"}]`), `'app_metadata is an object or an array and cannot be exported to CSV' on property fields[0].name.`),
		exInvalid("csv identities", exFieldsBody("csv", `[{"name":"identities"}]`), `'identities is an object or an array and cannot be exported to CSV' on property fields[0].name.`),
		exInvalid("csv identities[0]", exFieldsBody("csv", `[{"name":"identities[0]"}]`), `'identities[0] is an object or an array and cannot be exported to CSV' on property fields[0].name.`),
		exInvalid("default format is json: csv rules do not apply, path rules do", `{"fields":[{"name":"a..b"}]}`, `'Invalid field path "a..b": empty key at offset 2' on property fields[0].name.`),
		exInvalid("path a..b", exFieldsBody("csv", `[{"name":"a..b"}]`), `'Invalid field path "a..b": empty key at offset 2' on property fields[0].name.`),
		exInvalid("path x[", exFieldsBody("csv", `[{"name":"x["}]`), `'Invalid field path "x[": unclosed '[' at offset 1' on property fields[0].name.`),
		exInvalid("path x[-1]", exFieldsBody("json", `[{"name":"x[-1]"}]`), `'Invalid field path "x[-1]": index "-1" at offset 1: index must be a non-negative integer' on property fields[0].name.`),
		exInvalid("path [0]", exFieldsBody("json", `[{"name":"[0]"}]`), `'Invalid field path "[0]": must start with a key, not an index' on property fields[0].name.`),
		exInvalid("path trailing dot", exFieldsBody("csv", `[{"name":"email."}]`), `'Invalid field path "email.": empty key at offset 6' on property fields[0].name.`),
		exInvalid("duplicate name", exFieldsBody("csv", `[{"name":"email"},{"name":"email"}]`), `'Duplicate field: email' on property fields[1].`),
		exInvalid("duplicate export_as", exFieldsBody("csv", `[{"name":"email","export_as":"e"},{"name":"username","export_as":"e"}]`), `'Duplicate field: e' on property fields[1].`),
		exInvalid("export_as equal to a name", exFieldsBody("json", `[{"name":"email"},{"name":"username","export_as":"email"}]`), `'Duplicate field: email' on property fields[1].`),
		exInvalid("json value and a key inside it", exFieldsBody("json", `[{"name":"user_metadata"},{"name":"user_metadata.consent"}]`), `'fields "user_metadata" and "user_metadata.consent" both write "user_metadata": give one of them an export_as' on property fields[1].`),
		exInvalid("json export_as over a nested path", exFieldsBody("json", `[{"name":"user_metadata.consent"},{"name":"email","export_as":"user_metadata"}]`), `'fields "user_metadata.consent" and "email (export_as user_metadata)" both write "user_metadata": give one of them an export_as' on property fields[1].`),
		exInvalid("json key and index at one place", exFieldsBody("json", `[{"name":"app_metadata.a.b"},{"name":"app_metadata.a[0]"}]`), `'fields "app_metadata.a.b" and "app_metadata.a[0]" disagree: one indexes an array where the other names a key' on property fields[1].`),
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := b.countJobs(userport.JobFilter{})
			r := b.exPost(c.body)
			ok := exWantError(t, r, c.status, c.code, c.msg)
			if n := b.countJobs(userport.JobFilter{}); r.status != http.StatusOK && n != before {
				t.Errorf("the refused request wrote a job: %d jobs, were %d", n, before)
			}
			if !ok {
				t.Fail()
			}
		})
	}
	t.Run("accepted at the limits", func(t *testing.T) {
		for _, body := range []string{
			exFieldsBody("csv", exManyFields(30)),
			exFieldsBody("csv", `[{"name":"`+strings.Repeat("b", 100)+`","export_as":"`+max+`"}]`),
			exFieldsBody("json", `[{"name":"user_metadata"},{"name":"identities"},{"name":"app_metadata"}]`),
			exFieldsBody("json", `[{"name":"identities[0]"},{"name":"user_metadata.consent","export_as":"consent"}]`),
			exFieldsBody("csv", `[{"name":"user_metadata.consent"},{"name":"app_metadata.stripe[0]"},{"name":"identities[0].connection"}]`),
			exFieldsBody("csv", `[{"name":"my custom-attr $1 ü"}]`),
			exFieldsBody("parquet", exManyFields(30)),
			exFieldsBody("parquet", `[{"name":"user_metadata"},{"name":"identities[0]"},{"name":"app_metadata.stripe[0]","export_as":"stripe"}]`),
			`{"limit":1}`, `{"limit":2147483647}`,
		} {
			r := b.exPost(body)
			if r.status != http.StatusOK {
				t.Errorf("POST %s: %d %s, want 200", body, r.status, r.body)
			}
		}
	})
	if n, err := b.Store.CountJobs(b.ctx(), userport.JobFilter{Tenant: "dev", Type: userport.JobUsersImport}); err != nil || n != 0 {
		t.Errorf("%d import jobs, %v", n, err)
	}
}

// exWantError reports whether r is exactly the Management API error, and
// logs how it differs when it is not. A "…" in msg stands for any text (for
// wording the contract leaves open).
func exWantError(t *testing.T, r *response, status int, code, msg string) bool {
	t.Helper()
	want := testutil.ErrorBody(status, code, msg)
	var got struct {
		StatusCode int
		Error      string
		Message    string
		ErrorCode  string
	}
	r.decode(t, &got)
	prefix, suffix, wild := strings.Cut(msg, "…")
	matches := got.Message == msg || (wild && strings.HasPrefix(got.Message, prefix) && strings.HasSuffix(got.Message, suffix) &&
		len(got.Message) > len(prefix)+len(suffix))
	if wild {
		want = testutil.ErrorBody(status, code, got.Message)
	}
	if r.status == status && matches && testutil.CanonJSON(t, r.body) == testutil.CanonJSON(t, []byte(want)) &&
		r.header.Get("Content-Type") == "application/json; charset=utf-8" {
		return true
	}
	t.Logf("got %d %s\nwant %d %s", r.status, r.body, status, testutil.ErrorBody(status, code, msg))
	return false
}

func TestExportAuthorization(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.work(nil)
	body := `{"format":"csv"}`
	post := func(headers ...string) *response {
		return b.request(http.MethodPost, "/api/v2/jobs/users-exports", body, headers...)
	}
	bearer := func(scopes ...string) string { return "Bearer " + b.token(scopes...) }
	cases := []struct {
		name          string
		r             *response
		status        int
		code, message string
	}{
		{"no token", post(), 401, "", "Missing authentication"},
		{"not bearer", post("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(adminID+":"+adminSecret))), 400, "Bearer", "Bad HTTP authentication header format"},
		{"bad token", post("Authorization", "Bearer not.a.jwt"), 401, "", "Invalid token"},
		{"create:users only", post("Authorization", bearer("create:users")), 403, "insufficient_scope", "Insufficient scope, expected any of: read:users"},
		{"update:users only", post("Authorization", bearer("update:users")), 403, "insufficient_scope", "Insufficient scope, expected any of: read:users"},
	}
	for _, c := range cases {
		if !exWantError(t, c.r, c.status, c.code, c.message) {
			t.Errorf("%s: wrong answer", c.name)
		}
	}
	if n := b.countJobs(userport.JobFilter{}); n != 0 {
		t.Fatalf("%d jobs written by refused requests", n)
	}
	// read:users alone is enough.
	r := post("Authorization", bearer("read:users"))
	r.wantStatus(t, http.StatusOK)
	id := decodeJob(t, r.body).ID
	if n := b.countJobs(userport.JobFilter{}); n != 1 {
		t.Fatalf("%d jobs, want 1", n)
	}

	// GET /jobs/{id}: read:users or create:users, but an export job (whose
	// location downloads every user) only with read:users.
	get := func(path string, headers ...string) *response {
		return b.request(http.MethodGet, "/api/v2/jobs/"+path, nil, headers...)
	}
	for _, scope := range []string{"read:users", "read:users create:users"} {
		if r := get(id, "Authorization", bearer(strings.Fields(scope)...)); r.status != 200 || decodeJob(t, r.body).ID != id {
			t.Errorf("GET with %s: %d %s", scope, r.status, r.body)
		}
	}
	tok := bearer("read:users")
	gets := []struct {
		name          string
		r             *response
		status        int
		code, message string
	}{
		{"no token", get(id), 401, "", "Missing authentication"},
		{"update:users only", get(id, "Authorization", bearer("update:users", "delete:users")), 403, "insufficient_scope", "Insufficient scope, expected any of: read:users,create:users"},
		{"create:users only", get(id, "Authorization", bearer("create:users")), 403, "insufficient_scope", "Insufficient scope, expected any of: read:users"},
		{"short id", get("job_abc", "Authorization", tok), 400, "invalid_uri", "Path validation error: 'String does not match pattern ^job_[A-Za-z0-9]{16}$: job_abc' on property id (The id of the job)."},
		{"long id", get(id+"x", "Authorization", tok), 400, "invalid_uri", "Path validation error: 'String does not match pattern ^job_[A-Za-z0-9]{16}$: " + id + "x' on property id (The id of the job)."},
		{"wrong prefix", get("con_"+id[4:], "Authorization", tok), 400, "invalid_uri", "Path validation error: 'String does not match pattern ^job_[A-Za-z0-9]{16}$: con_" + id[4:] + "' on property id (The id of the job)."},
		{"symbol", get("job_AAAAAAAAAAAAAAA-", "Authorization", tok), 400, "invalid_uri", "Path validation error: 'String does not match pattern ^job_[A-Za-z0-9]{16}$: job_AAAAAAAAAAAAAAA-' on property id (The id of the job)."},
		{"unknown id", get("job_AAAAAAAAAAAAAAAA", "Authorization", tok), 404, "inexistent_job", "The job does not exist."},
		{"id in another case", get(exSwapCase(id), "Authorization", tok), 404, "inexistent_job", "The job does not exist."},
	}
	for _, c := range gets {
		if !exWantError(t, c.r, c.status, c.code, c.message) {
			t.Errorf("GET %s: wrong answer", c.name)
		}
	}
	if n := b.countJobs(userport.JobFilter{}); n != 1 {
		t.Fatalf("%d jobs, want 1", n)
	}
	// Completed, its location is still only for read:users.
	if j := b.completed(id); j.Location == "" {
		t.Fatalf("completed export without a location: %s", j.Raw)
	}
	if !exWantError(t, get(id, "Authorization", bearer("create:users")), 403, "insufficient_scope", "Insufficient scope, expected any of: read:users") {
		t.Errorf("GET a completed export with create:users only: wrong answer")
	}
	if j, err := b.storedJob(id); err != nil || j.Type != userport.JobUsersExport {
		t.Fatalf("stored job: %+v, %v", j, err)
	}
}

// exSwapCase swaps the case of the letters after "job_".
func exSwapCase(id string) string {
	return "job_" + strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return r
	}, id[4:])
}
