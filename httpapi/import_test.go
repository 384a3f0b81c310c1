package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/httpapi"
	"github.com/userport/userport/internal/testutil"
)

// imBcrypt is a well-formed bcrypt hash.
const imBcrypt = "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"

func TestImportJobShape(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.work(nil)
	conn := b.connection(upa)
	file := imNDJSON(`{"email":"ann@example.com","user_id":"ann1","name":"Ann"}`, `{"email":"bob@example.com"}`)
	r := b.imUpload([]imPart{imFile(file), imField("connection_id", conn.ID), imField("external_id", "ext-7"),
		imField("upsert", "false"), imField("send_completion_email", "true")})
	r.wantStatus(t, http.StatusAccepted)
	if got := strings.Join(testutil.JSONKeys(t, r.body), ","); got != "type,status,connection_id,connection,created_at,id,external_id" {
		t.Errorf("202 keys = %s", got)
	}
	var j job
	r.decode(t, &j)
	if j.Type != "users_import" || j.Status != "pending" || j.ConnectionID != conn.ID || j.Connection != upa ||
		j.ExternalID != "ext-7" || !userport.ValidJobID(j.ID) {
		t.Errorf("202 body = %s", r.body)
	}
	done := b.wait(j.ID)
	want := userport.ImportSummary{Inserted: 2, Total: 2}
	if done.Status != "completed" || done.Summary == nil || *done.Summary != want || done.ExternalID != "ext-7" {
		t.Fatalf("completed job = %+v, summary %s", done, imSummary(done.Summary))
	}
	got := b.admin(http.MethodGet, "/jobs/"+j.ID, nil)
	if keys := strings.Join(testutil.JSONKeys(t, got.body), ","); keys != "type,status,connection_id,connection,created_at,id,external_id,summary" {
		t.Errorf("completed keys = %s", keys)
	}
	if errs := b.imErrors(j.ID); errs != nil {
		t.Errorf("errors of a clean import = %+v, want 204", errs)
	}
	ann := b.storedUser("auth0|ann1")
	var p map[string]any
	if err := json.Unmarshal(ann.Doc, &p); err != nil || p["name"] != "Ann" || ann.ConnectionID != conn.ID {
		t.Errorf("imported user = %s in %s", ann.Doc, ann.ConnectionID)
	}
	// The uploaded file goes once the job is completed (the worker deletes
	// it after writing the job's end).
	testutil.Eventually(t, 10*time.Second, "the uploaded file to go", func() bool {
		_, err := os.Stat(filepath.Join(b.filesDir, "imports", j.ID))
		return os.IsNotExist(err)
	})
	b.admin(http.MethodGet, "/jobs/job_0000000000000000/errors", nil).
		wantError(t, 404, "inexistent_job", "The job does not exist.")
	b.admin(http.MethodGet, "/jobs/nope/errors", nil).wantStatus(t, 400)
	// Both scopes read the errors; update:users does not.
	for _, scope := range []string{"read:users", "create:users"} {
		b.api(http.MethodGet, "/jobs/"+j.ID+"/errors", b.token(scope), nil).wantStatus(t, http.StatusNoContent)
	}
	b.api(http.MethodGet, "/jobs/"+j.ID+"/errors", b.token("update:users"), nil).
		wantError(t, 403, "insufficient_scope", "Insufficient scope, expected any of: create:users,read:users")
}

func TestImportBadRequests(t *testing.T) {
	t.Parallel()
	b := setup(t)
	conn := b.connection(upa).ID
	file := imNDJSON(`{"email":"a@example.com"}`)
	tests := []struct {
		name    string
		parts   []imPart
		status  int
		code    string
		message string
	}{
		{"no file", []imPart{imField("connection_id", conn)}, 400, "invalid_body", "Payload validation error: 'Missing required property: users'."},
		{"no connection", []imPart{imFile(file)}, 400, "invalid_body", "Payload validation error: 'Missing required property: connection_id'."},
		{"empty file", []imPart{imFile([]byte{}), imField("connection_id", conn)}, 400, "invalid_body", "Payload validation error: 'Empty file' on property users."},
		{"malformed connection", []imPart{imFile(file), imField("connection_id", "Username-Password-Authentication")}, 400, "invalid_body",
			"Payload validation error: 'String does not match pattern ^con_[A-Za-z0-9]{16}$: Username-Password-Authentication' on property connection_id."},
		{"unknown connection", []imPart{imFile(file), imField("connection_id", "con_0000000000000000")}, 400, "inexistent_connection", "The connection does not exist."},
		{"upsert not a boolean", []imPart{imFile(file), imField("connection_id", conn), imField("upsert", "yes")}, 400, "invalid_body",
			"Payload validation error: 'Expected type boolean but found type string' on property upsert."},
		{"email flag not a boolean", []imPart{imFile(file), imField("connection_id", conn), imField("send_completion_email", "1")}, 400, "invalid_body",
			"Payload validation error: 'Expected type boolean but found type string' on property send_completion_email."},
		{"unknown field", []imPart{imFile(file), imField("connection_id", conn), imField("format", "json")}, 400, "invalid_body",
			"Payload validation error: 'Additional properties not allowed: format'."},
		{"two files", []imPart{imFile(file), imFile(file), imField("connection_id", conn)}, 400, "invalid_body",
			"Payload validation error: 'Duplicate property: users'."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b.t = t
			b.imUpload(tt.parts).wantError(t, tt.status, tt.code, tt.message)
		})
	}
	b.t = t
	r := b.admin(http.MethodPost, "/jobs/users-imports", map[string]any{"connection_id": conn})
	r.wantError(t, 400, "invalid_body", "Payload validation error: 'Expected a multipart/form-data body'.")
	b.imUpload([]imPart{imFile(file), imField("connection_id", conn)}, "read:users").
		wantError(t, 403, "insufficient_scope", "Insufficient scope, expected any of: create:users")
	if n := b.countJobs(userport.JobFilter{}); n != 0 {
		t.Errorf("%d jobs after refused imports, want 0", n)
	}
	imNoUploads(t, b)
}

// imNoUploads fails if an uploaded import file was kept.
func imNoUploads(t *testing.T, b *env) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(b.filesDir, "imports"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if len(entries) > 0 {
		t.Errorf("uploads kept: %v", entries)
	}
}

func TestImportTooLarge(t *testing.T) {
	t.Parallel()
	b := setup(t, func(s *httpapi.Server) { s.MaxImportBytes = 100 })
	b.work(nil)
	conn := b.connection(upa).ID
	ok := []byte(`[{"email":"a@example.com"},{"email":"b@example.com"},{"email":"c@example.com"}]`)
	ok = append(ok, strings.Repeat(" ", 100-len(ok))...) // exactly the maximum
	b.imRun(ok, conn)
	r := b.imUpload([]imPart{imFile(append(ok, ' ')), imField("connection_id", conn)})
	r.wantError(t, 413, "", "Payload content length greater than maximum allowed: 100")
	if n := b.countJobs(userport.JobFilter{}); n != 1 {
		t.Errorf("%d jobs, want only the first import's", n)
	}
	imNoUploads(t, b)
}

func TestImportTooMany(t *testing.T) {
	t.Parallel()
	b := setup(t)
	conn := b.connection(upa)
	// Two imports in flight: one pending, one processing (a worker that died).
	for i, status := range []userport.JobStatus{userport.JobPending, userport.JobProcessing} {
		j := &userport.Job{Tenant: "dev", ID: fmt.Sprintf("job_inflight%08d", i), Type: userport.JobUsersImport,
			Status: status, ConnectionID: conn.ID, Connection: conn.Name, CreatedAt: b.Clock.Now(), UploadKey: "imports/none"}
		if err := b.Store.CreateImportJob(b.ctx(), j, 1, 0, nil); err != nil {
			t.Fatal(err)
		}
	}
	r := b.imUpload([]imPart{imFile(imNDJSON(`{"email":"a@example.com"}`)), imField("connection_id", conn.ID)})
	r.wantError(t, 429, "too_many_requests",
		"There are 2 active import users jobs, please wait until some of them are finished and try again")
	reset := strconv.FormatInt(b.Clock.Now().Add(30*time.Second).Unix(), 10)
	for name, want := range map[string]string{"X-Ratelimit-Limit": "2", "X-Ratelimit-Remaining": "0",
		"X-Ratelimit-Reset": reset, "Retry-After": "30"} {
		if got := r.header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	imNoUploads(t, b)
	// A finished import frees its place.
	if _, err := b.Store.UpdateJob(b.ctx(), "dev", "job_inflight00000001", func(j *userport.Job) error {
		j.Status = userport.JobFailed
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r = b.imUpload([]imPart{imFile(imNDJSON(`{"email":"a@example.com"}`)), imField("connection_id", conn.ID)})
	r.wantStatus(t, http.StatusAccepted)
}

func TestImportErrorCodes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.work(nil)
	conn := b.connection(upa)
	b.admin(http.MethodPost, "/connections", map[string]any{"name": "Other", "strategy": "auth0"}).wantStatus(t, 201)
	other := b.connection("Other")
	b.putUsers(other, 900, 1) // auth0|...384 (900) lives in Other
	b.putUsers(conn, 1000, 2) // user1000@ and user1001@ exist in the target
	existing := fmt.Sprintf("%024x", 1000)

	file := imNDJSON(
		`{"email":"ok@example.com","user_id":"u1","username":"taken_name"}`,                           // 0: inserted
		`{"email":"ok@example.com"}`,                                                                  // 1: same email earlier in the file
		`{"email":"x@example.com","user_id":"u1"}`,                                                    // 2: same user_id earlier in the file
		`{"email":"y@example.com","username":"taken_name"}`,                                           // 3: same username earlier in the file
		`{"email":"user1000@example.com"}`,                                                            // 4: exists, no upsert
		`{"email":"z@example.com","user_id":"`+existing+`"}`,                                          // 5: exists, no upsert
		`{"name":"no email"}`,                                                                         // 6
		`{"email":"nope"}`,                                                                            // 7
		`{"email":"a@example.com","blocked":"no"}`,                                                    // 8
		`{"email":"a@example.com","foo":1}`,                                                           // 9
		`{"email":"a@example.com","nickname":"`+strings.Repeat("n", 301)+`"}`,                         // 10
		`{"email":"a@example.com","nickname":""}`,                                                     // 11
		`{"email":"a@example.com","user_id":"google-oauth2|1"}`,                                       // 12
		`{"email":"a@example.com","logins_count":-3}`,                                                 // 13
		`{"email":"a@example.com","custom_password_hash":{"algorithm":"rot13","hash":{"value":"x"}}}`, // 14
		`42`, // 15
	)
	j := b.imRun(file, conn.ID)
	if want := (userport.ImportSummary{Inserted: 1, Failed: 15, Total: 16}); *j.Summary != want {
		t.Errorf("summary = %s, want %+v", imSummary(j.Summary), want)
	}
	want := []string{"DUPLICATED_USER email", "DUPLICATED_USER user_id", "DUPLICATED_USER username",
		"DUPLICATED_USER email", "DUPLICATED_USER user_id", "OBJECT_MISSING_REQUIRED_PROPERTY email",
		"INVALID_FORMAT email", "INVALID_TYPE blocked", "OBJECT_ADDITIONAL_PROPERTIES foo", "MAX_LENGTH nickname",
		"MIN_LENGTH nickname", "PATTERN user_id", "MINIMUM logins_count", "ENUM_MISMATCH custom_password_hash.algorithm",
		"INVALID_TYPE "}
	errs := b.imErrors(j.ID)
	if got := testutil.ImportCodes(errs); !slices.Equal(got, want) {
		t.Errorf("codes =\n%q\nwant\n%q", got, want)
	}
	if len(errs) > 0 && string(errs[0].User) != `{"email":"ok@example.com"}` {
		t.Errorf("error user = %s, want the record as given", errs[0].User)
	}
	if len(errs) > 4 && errs[3].Errors[0].Message != "The user already exists (same email)." {
		t.Errorf("existing user message = %q", errs[3].Errors[0].Message)
	}

	// With upsert: the conflicts.
	upsert := imNDJSON(
		`{"email":"c1@example.com","user_id":"`+fmt.Sprintf("%024x", 900)+`"}`, // user_id of a user of Other
		`{"email":"user1001@example.com","user_id":"`+existing+`"}`,            // matched by id, takes user1001's email
		`{"email":"new@example.com","username":"taken_name"}`,                  // new, username of user u1
		`{"email":"user1000@example.com","name":"Updated"}`,                    // matched by email: updated
	)
	j = b.imRun(upsert, conn.ID, imField("upsert", "true"))
	if want := (userport.ImportSummary{Updated: 1, Failed: 3, Total: 4}); *j.Summary != want {
		t.Errorf("upsert summary = %s, want %+v", imSummary(j.Summary), want)
	}
	if got := testutil.ImportCodes(b.imErrors(j.ID)); !slices.Equal(got, []string{"CONFLICT user_id", "CONFLICT_EMAIL email", "CONFLICT_USERNAME username"}) {
		t.Errorf("upsert codes = %q", got)
	}
	var p map[string]any
	if err := json.Unmarshal(b.storedUser("auth0|"+existing).Doc, &p); err != nil || p["name"] != "Updated" {
		t.Errorf("the user matched by email was not updated: %v", p)
	}
}

func TestImportMasksSecrets(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.work(nil)
	conn := b.connection(upa).ID
	custom := `{"algorithm":"sha256","hash":{"value":"5e884898da28","encoding":"hex"}}`
	file := imNDJSON(
		`{"email":"kept@example.com","user_id":"kept1","password_hash":"`+imBcrypt+`","custom_password_hash":`+custom+`}`,
		`{"email":"bad","password":"hunter2!","password_hash":"`+imBcrypt+`","custom_password_hash":`+custom+`}`,
		`{"email":"kept@example.com","custom_password_hash":`+custom+`}`,
	)
	j := b.imRun(file, conn)
	errs := b.imErrors(j.ID)
	wantUsers := []string{
		`{"email":"bad","password":"*****","password_hash":"*****","custom_password_hash":"*****"}`,
		`{"email":"kept@example.com","custom_password_hash":"*****"}`,
	}
	if len(errs) != 2 {
		t.Fatalf("errors = %+v", errs)
	}
	for i, e := range errs {
		if string(e.User) != wantUsers[i] {
			t.Errorf("error user %d = %s, want %s", i, e.User, wantUsers[i])
		}
	}
	// Stored as given, never shown.
	u := b.storedUser("auth0|kept1")
	if u.PasswordHash != imBcrypt {
		t.Errorf("password hash = %q", u.PasswordHash)
	}
	h, err := b.Store.FindCustomPasswordHash(b.ctx(), "dev", "auth0|kept1")
	if err != nil || string(h) != custom {
		t.Errorf("custom hash = %s, %v; want %s", h, err, custom)
	}
	got := b.admin(http.MethodGet, "/users/auth0|kept1", nil)
	export := testutil.Gunzip(t, b.imExport())
	for what, body := range map[string][]byte{"GET /users": got.body, "the export": export} {
		for _, secret := range []string{"password", "5e884898da28", "N9qo8uLOickgx2ZMRZoMy"} {
			if strings.Contains(string(body), secret) {
				t.Errorf("%s shows %q: %s", what, secret, body)
			}
		}
	}
}

func TestImportReportsABadFile(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.work(nil)
	conn := b.connection(upa).ID
	j := b.wait(b.imImport([]byte(`[{"email":"a@example.com"},{"email":`), conn).ID)
	want := "The import failed: The import file is not valid: record 2 (line 1, at byte offset 27 of the JSON): unexpected EOF."
	if j.Status != "failed" || j.StatusDetails != want {
		t.Errorf("job = %s %q, want failed %q", j.Status, j.StatusDetails, want)
	}
	j = b.wait(b.imImport([]byte("email,name\n"), conn).ID)
	if j.Status != "failed" || !strings.Contains(j.StatusDetails, "neither a JSON array nor NDJSON") {
		t.Errorf("CSV file: %s %q", j.Status, j.StatusDetails)
	}
	imNoUploads(t, b)
}
