package httpapi_test

// The requests of Auth0's "Bulk User Exports" page, sent verbatim to the
// server, and the files they produce checked cell by cell.

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
)

// The Auth0 page's request bodies; CON stands for {yourConnectionId}.
const (
	exAuth0Provider = `{"connection_id": "CON", "format": "csv", "limit": 5, "fields": [{"name": "email"}, { "name": "identities[0].connection", "export_as": "provider" }]}`
	exAuth0Consent  = `{"connection_id": "CON", "format": "csv", "limit": 5, "fields": [{"name": "email"}, {"name": "user_metadata.consent.given"}, {"name": "user_metadata.consent.date"}, {"name": "user_metadata.consent.text_details"}]}`
	exAuth0JSON     = `{"connection_id": "CON", "format": "json", "limit": 5, "fields": [{"name": "email"}, {"name": "user_metadata.consent"}]}`
)

// exTimePattern is how Auth0 writes times: UTC, milliseconds.
var exTimePattern = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$`)

// exConsentUsers are created through the API, in this order (not the order of
// their ids), in the connection Consent-DB; they hold the values that CSV and
// NDJSON must get right.
var exConsentUsers = []string{
	`{"connection":"Consent-DB","email":"Zoe@Example.com","password":"Passw0rd!x","user_id":"consent-03","name":"Zoë Ørsted 日本語",
	  "user_metadata":{"consent":{"given":"yes","date":20210304,"text_details":"Zoë Ørsted — 同意 ✓"}}}`,
	`{"connection":"Consent-DB","email":"ann@example.com","password":"Passw0rd!x","user_id":"auth0|consent-01",
	  "name":"Ann \"Nan\" Lee, Jr.","given_name":"=1+2","family_name":"-Lee","nickname":"@ann","username":"ann_lee",
	  "phone_number":"+15550100","phone_verified":true,"email_verified":true,"blocked":false,
	  "user_metadata":{"consent":{"given":true,"date":"2021-03-04","text_details":"I agree, \"fully\"\nto the terms"}}}`,
	`{"connection":"Consent-DB","email":"eve@example.com","password":"Passw0rd!x","user_id":"consent-05",
	  "user_metadata":{"consent":{"given":1.5e3,"date":"2020-01-01T00:00:00.000Z","text_details":"+1 -2 @3"}}}`,
	`{"connection":"Consent-DB","email":"bob@example.com","password":"Passw0rd!x","user_id":"consent-02",
	  "user_metadata":{"consent":{"given":false,"date":null,"text_details":"=HYPERLINK(\"http://x.example\",\"click\")"}}}`,
	`{"connection":"Consent-DB","email":"dan@example.com","password":"Passw0rd!x","user_id":"consent-04",
	  "user_metadata":{"preferences":{"newsletter":true}}}`,
	`{"connection":"Consent-DB","email":"fay@example.com","password":"Passw0rd!x","user_id":"consent-06","app_metadata":{"plan":"pro"}}`,
	// Users of another connection, around them in user_id order.
	`{"connection":"Other-DB","email":"a-other@example.com","password":"Passw0rd!x","user_id":"a-other",
	  "user_metadata":{"consent":{"given":true,"date":"2000-01-01","text_details":"other"}}}`,
	`{"connection":"Other-DB","email":"z-other@example.com","password":"Passw0rd!x","user_id":"z-other",
	  "user_metadata":{"consent":{"given":true,"date":"2000-01-01","text_details":"other"}}}`,
}

// exConsentProfiles are written into Consent-DB through the store: the
// attributes the API cannot set (logins, last login, numbers).
func exConsentProfiles(now string) []*userport.Profile {
	yes, no := true, false
	n42, n0 := int64(42), int64(0)
	return []*userport.Profile{{
		UserID: "auth0|consent-07", Email: "gus@example.com", EmailVerified: &yes, Username: "=cmd|' /C calc'!A0",
		PhoneNumber: "+44 20 7946 0958", PhoneVerified: &no, Name: "Gus, the \"Great\"", Nickname: "gus",
		Identities: []userport.Identity{
			{Connection: "Consent-DB", Provider: "auth0", UserID: "consent-07"},
			{Connection: "google-oauth2", Provider: "google-oauth2", UserID: "1234", IsSocial: true}},
		UserMetadata: json.RawMessage(`{"consent":null}`), AppMetadata: json.RawMessage(`{"stripe":[{"customer_id":"cus_1"}]}`),
		Blocked: &yes, CreatedAt: "2019-12-31T23:59:59.999Z", UpdatedAt: now, LastLogin: "2024-05-06T07:08:09.010Z",
		LastIP: "203.0.113.7", LoginsCount: &n42,
	}, {
		UserID: "auth0|consent-08", Email: "hal@example.com", Name: "tab\there\r\nCRLF", GivenName: "Hål",
		Identities:   []userport.Identity{{Connection: "Consent-DB", Provider: "auth0", UserID: "consent-08"}},
		UserMetadata: json.RawMessage(`{"consent":{"given":true,"date":"2023-01-01","text_details":"tab\there\r\nCRLF, \"q\""}}`),
		CreatedAt:    now, UpdatedAt: now, LastLogin: "never", LoginsCount: &n0,
	}}
}

// exConsentFixture is a server with the consent users.
type exConsentFixture struct {
	b        *env
	con      string // id of Consent-DB
	other    string // id of Other-DB
	consent  [][]byte
	all      [][]byte
	allIDs   []string
	checkIDs []string
}

// exConsentSetup starts a server and creates the consent users.
func exConsentSetup(t *testing.T) *exConsentFixture {
	t.Helper()
	b := setup(t)
	b.work(nil)
	f := &exConsentFixture{b: b, con: b.createConnection("Consent-DB"), other: b.createConnection("Other-DB")}
	for _, body := range exConsentUsers {
		b.admin(http.MethodPost, "/users", body).wantStatus(t, http.StatusCreated)
	}
	b.putProfiles(b.connection("Consent-DB"), exConsentProfiles(userport.FormatTime(b.Clock.Now()))...)
	ids, docs := b.docs(f.con)
	want := []string{"auth0|consent-01", "auth0|consent-02", "auth0|consent-03", "auth0|consent-04",
		"auth0|consent-05", "auth0|consent-06", "auth0|consent-07", "auth0|consent-08"}
	if !slices.Equal(ids, want) {
		t.Fatalf("stored users of Consent-DB = %v, want %v", ids, want)
	}
	f.consent = docs
	f.allIDs, f.all = b.docs("")
	if len(f.all) != 10 {
		t.Fatalf("%d users in the tenant, want 10", len(f.all))
	}
	return f
}

// run posts body (CON replaced), checks the 200 answer is exactly want (with
// CON, CREATED and ID replaced), waits for completion, checks the completed
// job's body, and returns the downloaded file, gunzipped.
func (f *exConsentFixture) run(t *testing.T, body, want string) []byte {
	t.Helper()
	b := f.b
	r := b.exPost(strings.ReplaceAll(body, "CON", f.con))
	r.wantStatus(t, http.StatusOK)
	j := decodeJob(t, r.body)
	// Placeholders, not the random ids themselves, are in the templates: an id
	// may contain "ID" or "CON".
	want = strings.NewReplacer("OTHERCONN", f.other, "CON", f.con, "CREATED", userport.FormatTime(b.Clock.Now()), "ID", j.ID).Replace(want)
	if string(r.body) != want {
		t.Fatalf("POST answer =\n%s\nwant\n%s", r.body, want)
	}
	if !exJobIDPattern.MatchString(j.ID) {
		t.Fatalf("job id %q does not match %s", j.ID, exJobIDPattern)
	}
	if !exTimePattern.MatchString(j.CreatedAt) {
		t.Fatalf("created_at %q is not UTC ISO-8601 with milliseconds", j.CreatedAt)
	}
	done := b.completed(j.ID)
	completed := strings.Replace(strings.TrimSuffix(want, "}"), `"status":"pending"`, `"status":"completed"`, 1) +
		`,"location":"` + done.Location + `"}`
	if string(done.Raw) != completed {
		t.Errorf("GET answer =\n%s\nwant\n%s", done.Raw, completed)
	}
	return b.exDownload(done)
}

func TestExportAuth0Requests(t *testing.T) {
	t.Parallel()
	f := exConsentSetup(t)
	t.Run("provider", func(t *testing.T) {
		data := f.run(t, exAuth0Provider, `{"type":"users_export","status":"pending","connection_id":"CON","format":"csv","limit":5,`+
			`"fields":[{"name":"email"},{"name":"identities[0].connection","export_as":"provider"}],"connection":"Consent-DB","created_at":"CREATED","id":"ID"}`)
		want := "email,provider\n" +
			`"'ann@example.com","'Consent-DB"` + "\n" +
			`"'bob@example.com","'Consent-DB"` + "\n" +
			`"'zoe@example.com","'Consent-DB"` + "\n" +
			`"'dan@example.com","'Consent-DB"` + "\n" +
			`"'eve@example.com","'Consent-DB"` + "\n"
		if string(data) != want {
			t.Errorf("file =\n%s\nwant\n%s", data, want)
		}
		testutil.CheckCSV(t, data, testutil.Fields("email", "identities[0].connection=provider"), f.consent[:5])
	})
	t.Run("consent", func(t *testing.T) {
		data := f.run(t, exAuth0Consent, `{"type":"users_export","status":"pending","connection_id":"CON","format":"csv","limit":5,`+
			`"fields":[{"name":"email"},{"name":"user_metadata.consent.given"},{"name":"user_metadata.consent.date"},{"name":"user_metadata.consent.text_details"}],`+
			`"connection":"Consent-DB","created_at":"CREATED","id":"ID"}`)
		want := "email,user_metadata.consent.given,user_metadata.consent.date,user_metadata.consent.text_details\n" +
			`"'ann@example.com",true,"'2021-03-04","'I agree, ""fully""` + "\n" + `to the terms"` + "\n" +
			`"'bob@example.com",false,,"'=HYPERLINK(""http://x.example"",""click"")"` + "\n" +
			`"'zoe@example.com","'yes",20210304,"'Zoë Ørsted — 同意 ✓"` + "\n" +
			`"'dan@example.com",,,` + "\n" +
			`"'eve@example.com",1.5e3,"'2020-01-01T00:00:00.000Z","'+1 -2 @3"` + "\n"
		if string(data) != want {
			t.Errorf("file =\n%s\nwant\n%s", data, want)
		}
		testutil.CheckCSV(t, data, testutil.Fields("email", "user_metadata.consent.given", "user_metadata.consent.date", "user_metadata.consent.text_details"), f.consent[:5])
	})
	t.Run("json", func(t *testing.T) {
		data := f.run(t, exAuth0JSON, `{"type":"users_export","status":"pending","connection_id":"CON","format":"json","limit":5,`+
			`"fields":[{"name":"email"},{"name":"user_metadata.consent"}],"connection":"Consent-DB","created_at":"CREATED","id":"ID"}`)
		want := `{"email":"ann@example.com","user_metadata":{"consent":{"given":true,"date":"2021-03-04","text_details":"I agree, \"fully\"\nto the terms"}}}` + "\n" +
			`{"email":"bob@example.com","user_metadata":{"consent":{"given":false,"date":null,"text_details":"=HYPERLINK(\"http://x.example\",\"click\")"}}}` + "\n" +
			`{"email":"zoe@example.com","user_metadata":{"consent":{"given":"yes","date":20210304,"text_details":"Zoë Ørsted — 同意 ✓"}}}` + "\n" +
			`{"email":"dan@example.com"}` + "\n" +
			`{"email":"eve@example.com","user_metadata":{"consent":{"given":1.5e3,"date":"2020-01-01T00:00:00.000Z","text_details":"+1 -2 @3"}}}` + "\n"
		if string(data) != want {
			t.Errorf("file =\n%s\nwant\n%s", data, want)
		}
		testutil.CheckNDJSON(t, data, testutil.Fields("email", "user_metadata.consent"), f.consent[:5])
	})
	// The same requests without a limit reach the users written through the
	// store: null consent, a second identity, numbers, a non-date last_login.
	t.Run("no limit", func(t *testing.T) {
		noLimit := strings.NewReplacer(`"limit": 5, `, "")
		data := f.run(t, noLimit.Replace(exAuth0JSON), `{"type":"users_export","status":"pending","connection_id":"CON","format":"json",`+
			`"fields":[{"name":"email"},{"name":"user_metadata.consent"}],"connection":"Consent-DB","created_at":"CREATED","id":"ID"}`)
		testutil.CheckNDJSON(t, data, testutil.Fields("email", "user_metadata.consent"), f.consent)
		lines := strings.Split(string(data), "\n")
		if len(lines) == 9 {
			exWantLine(t, lines[5], `{"email":"fay@example.com"}`)
			exWantLine(t, lines[6], `{"email":"gus@example.com","user_metadata":{"consent":null}}`)
			exWantLine(t, lines[7], `{"email":"hal@example.com","user_metadata":{"consent":{"given":true,"date":"2023-01-01","text_details":"tab\there\r\nCRLF, \"q\""}}}`)
		}
		data = f.run(t, noLimit.Replace(exAuth0Consent), `{"type":"users_export","status":"pending","connection_id":"CON","format":"csv",`+
			`"fields":[{"name":"email"},{"name":"user_metadata.consent.given"},{"name":"user_metadata.consent.date"},{"name":"user_metadata.consent.text_details"}],`+
			`"connection":"Consent-DB","created_at":"CREATED","id":"ID"}`)
		testutil.CheckCSV(t, data, testutil.Fields("email", "user_metadata.consent.given", "user_metadata.consent.date", "user_metadata.consent.text_details"), f.consent)
		if rows := testutil.SplitCSV(t, data); len(rows) == 9 {
			exWantCells(t, rows[7], `"'gus@example.com"`, ``, ``, ``)
			exWantCells(t, rows[8], `"'hal@example.com"`, `true`, `"'2023-01-01"`, "\"'tab\there\r\nCRLF, \"\"q\"\"\"")
		}
	})
}

// exWantLine compares one NDJSON line with its literal expectation.
func exWantLine(t *testing.T, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("line =\n%s\nwant\n%s", got, want)
	}
}

// exWantCells compares the first cells of a row with their literal text.
func exWantCells(t *testing.T, row []string, want ...string) {
	t.Helper()
	if len(row) < len(want) || !slices.Equal(row[:len(want)], want) {
		t.Errorf("row = %q, want cells %q", row, want)
	}
}

func TestExportDefaultFields(t *testing.T) {
	t.Parallel()
	f := exConsentSetup(t)
	b := f.b
	defaults, _ := json.Marshal(testutil.DefaultCSVFields)
	t.Run("csv", func(t *testing.T) {
		data := f.run(t, `{"connection_id":"CON","format":"csv"}`, `{"type":"users_export","status":"pending","connection_id":"CON","format":"csv",`+
			`"fields":`+string(defaults)+`,"connection":"Consent-DB","created_at":"CREATED","id":"ID"}`)
		testutil.CheckCSV(t, data, testutil.DefaultCSVFields, f.consent)
		rows := testutil.SplitCSV(t, data)
		if len(rows) != 9 {
			t.Fatalf("%d rows", len(rows))
		}
		created := userport.FormatTime(b.Clock.Now())
		// user_id, email, email_verified, username, phone_number, phone_verified, name, given_name, family_name, nickname.
		exWantCells(t, rows[1], `"'auth0|consent-01"`, `"'ann@example.com"`, `true`, `"'ann_lee"`, `"'+15550100"`, `true`,
			`"'Ann ""Nan"" Lee, Jr."`, `"'=1+2"`, `"'-Lee"`, `"'@ann"`)
		exWantCells(t, rows[1][11:], `"'Consent-DB"`, created, created, ``, ``, ``, `false`)
		exWantCells(t, rows[3], `"'auth0|consent-03"`, `"'zoe@example.com"`, `false`, ``, ``, ``, `"'Zoë Ørsted 日本語"`, ``, ``, `"'zoe"`)
		exWantCells(t, rows[7], `"'auth0|consent-07"`, `"'gus@example.com"`, `true`, `"'=cmd|' /C calc'!A0"`, `"'+44 20 7946 0958"`, `false`,
			`"'Gus, the ""Great"""`, ``, ``, `"'gus"`, ``, `"'Consent-DB"`,
			`2019-12-31T23:59:59.999Z`, created, `2024-05-06T07:08:09.010Z`, `"'203.0.113.7"`, `42`, `true`)
		exWantCells(t, rows[8][12:], created, created, `"'never"`, ``, `0`, ``)
	})
	t.Run("json", func(t *testing.T) {
		data := f.run(t, `{"connection_id":"CON","format":"json"}`,
			`{"type":"users_export","status":"pending","connection_id":"CON","format":"json","connection":"Consent-DB","created_at":"CREATED","id":"ID"}`)
		testutil.CheckNDJSON(t, data, nil, f.consent)
		// Through the API too: each line is the user GET /users/{id} shows.
		for i, line := range strings.SplitN(string(data), "\n", 3)[:2] {
			r := b.admin(http.MethodGet, "/users/auth0|consent-0"+string(rune('1'+i)), nil)
			if r.status != 200 || string(r.body) != line {
				t.Errorf("line %d =\n%s\nGET /users: %d\n%s", i, line, r.status, r.body)
			}
		}
	})
	t.Run("format omitted", func(t *testing.T) {
		data := f.run(t, `{}`, `{"type":"users_export","status":"pending","format":"json","created_at":"CREATED","id":"ID"}`)
		testutil.CheckNDJSON(t, data, nil, f.all)
	})
	t.Run("every connection", func(t *testing.T) {
		data := f.run(t, `{"format":"csv"}`, `{"type":"users_export","status":"pending","format":"csv",`+
			`"fields":`+string(defaults)+`,"created_at":"CREATED","id":"ID"}`)
		testutil.CheckCSV(t, data, testutil.DefaultCSVFields, f.all)
		var ids []string
		for _, row := range testutil.SplitCSV(t, data)[1:] {
			ids = append(ids, strings.TrimSuffix(strings.TrimPrefix(row[0], `"'`), `"`))
		}
		want := slices.Clone(f.allIDs)
		slices.Sort(want)
		if !slices.Equal(ids, want) || ids[0] != "auth0|a-other" || ids[len(ids)-1] != "auth0|z-other" {
			t.Errorf("user ids = %v, want %v", ids, want)
		}
	})
}

func TestExportLimitAndFilter(t *testing.T) {
	t.Parallel()
	f := exConsentSetup(t)
	email := testutil.Fields("email")
	cases := []struct {
		name, body, want string
		docs             [][]byte
	}{
		{"limit 1", `{"connection_id":"CON","format":"csv","limit":1,"fields":[{"name":"email"}]}`,
			`{"type":"users_export","status":"pending","connection_id":"CON","format":"csv","limit":1,"fields":[{"name":"email"}],"connection":"Consent-DB","created_at":"CREATED","id":"ID"}`,
			f.consent[:1]},
		{"limit above the count", `{"connection_id":"CON","format":"csv","limit":1000,"fields":[{"name":"email"}]}`,
			`{"type":"users_export","status":"pending","connection_id":"CON","format":"csv","limit":1000,"fields":[{"name":"email"}],"connection":"Consent-DB","created_at":"CREATED","id":"ID"}`,
			f.consent},
		{"limit without connection", `{"format":"csv","limit":3,"fields":[{"name":"email"}]}`,
			`{"type":"users_export","status":"pending","format":"csv","limit":3,"fields":[{"name":"email"}],"created_at":"CREATED","id":"ID"}`,
			f.all[:3]},
		{"other connection", `{"connection_id":"` + f.other + `","format":"csv","fields":[{"name":"email"}]}`,
			`{"type":"users_export","status":"pending","connection_id":"OTHERCONN","format":"csv","fields":[{"name":"email"}],"connection":"Other-DB","created_at":"CREATED","id":"ID"}`,
			[][]byte{f.all[0], f.all[9]}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			testutil.CheckCSV(t, f.run(t, c.body, c.want), email, c.docs)
		})
	}
	t.Run("json limit", func(t *testing.T) {
		data := f.run(t, `{"connection_id":"CON","limit":2}`,
			`{"type":"users_export","status":"pending","connection_id":"CON","format":"json","limit":2,"connection":"Consent-DB","created_at":"CREATED","id":"ID"}`)
		testutil.CheckNDJSON(t, data, nil, f.consent[:2])
	})
	t.Run("empty connection", func(t *testing.T) {
		empty := f.b.createConnection("Empty-DB")
		data := f.run(t, `{"connection_id":"`+empty+`","format":"csv","fields":[{"name":"email","export_as":"E-mail"}]}`,
			`{"type":"users_export","status":"pending","connection_id":"`+empty+`","format":"csv","fields":[{"name":"email","export_as":"E-mail"}],"connection":"Empty-DB","created_at":"CREATED","id":"ID"}`)
		if string(data) != "E-mail\n" {
			t.Errorf("file = %q, want the header alone", data)
		}
	})
}

func TestExportFieldShapes(t *testing.T) {
	t.Parallel()
	f := exConsentSetup(t)
	cases := []struct {
		name   string
		format string
		fields []userport.Field
	}{
		{"csv nested values and indexes", "csv", testutil.Fields("user_id", "identities[1].provider", "identities[1].isSocial",
			"app_metadata.stripe[0].customer_id", "app_metadata.stripe", "user_metadata.consent", "app_metadata.plan=Plan, \"tier\"",
			"no_such_attribute", "identities[5].connection", "email.x", "created_at=Created")},
		{"json whole objects", "json", testutil.Fields("user_id", "user_metadata", "app_metadata", "identities")},
		{"json merging prefixes", "json", testutil.Fields("user_metadata.consent.given", "email", "user_metadata.consent.date",
			"identities[1].provider", "identities[0].connection", "app_metadata.stripe[0].customer_id=customer", "no_such_attribute")},
		{"json export_as", "json", testutil.Fields("email=mail", "identities[0].connection=provider", "user_metadata.consent.given=consent given")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fields, _ := json.Marshal(c.fields)
			body := `{"connection_id":"CON","format":"` + c.format + `","fields":` + string(fields) + `}`
			want := `{"type":"users_export","status":"pending","connection_id":"CON","format":"` + c.format + `","fields":` + string(fields) +
				`,"connection":"Consent-DB","created_at":"CREATED","id":"ID"}`
			data := f.run(t, body, want)
			if c.format == "csv" {
				testutil.CheckCSV(t, data, c.fields, f.consent)
			} else {
				testutil.CheckNDJSON(t, data, c.fields, f.consent)
			}
		})
	}
	t.Run("literal", func(t *testing.T) {
		data := f.run(t, `{"connection_id":"CON","format":"csv","limit":8,"fields":[{"name":"user_id"},{"name":"identities[1].isSocial"},{"name":"app_metadata.stripe"},{"name":"app_metadata.plan","export_as":"Plan, \"tier\""}]}`,
			`{"type":"users_export","status":"pending","connection_id":"CON","format":"csv","limit":8,"fields":[{"name":"user_id"},{"name":"identities[1].isSocial"},{"name":"app_metadata.stripe"},{"name":"app_metadata.plan","export_as":"Plan, \"tier\""}],"connection":"Consent-DB","created_at":"CREATED","id":"ID"}`)
		rows := testutil.SplitCSV(t, data)
		if len(rows) != 9 {
			t.Fatalf("%d rows:\n%s", len(rows), data)
		}
		exWantCells(t, rows[0], "user_id", "identities[1].isSocial", "app_metadata.stripe", `"Plan, ""tier"""`)
		exWantCells(t, rows[6], `"'auth0|consent-06"`, ``, ``, `"'pro"`)
		exWantCells(t, rows[7], `"'auth0|consent-07"`, `true`, `"'[{""customer_id"":""cus_1""}]"`, ``)
	})
}
