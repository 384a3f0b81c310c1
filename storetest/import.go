package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/userport/userport"
)

// importTests are the subtests of the ImportStore methods, run by Run.
var importTests = []struct {
	name string
	fn   func(t *testing.T, s userport.Store)
}{
	{"CreateImportJob", testCreateImportJob},
	{"CreateImportJobLimit", testCreateImportJobLimit},
	{"CreateImportJobEnqueueFails", testCreateImportJobEnqueueFails},
	{"ImportInserts", testImportInserts},
	{"ImportCursor", testImportCursor},
	{"ImportDuplicates", testImportDuplicates},
	{"ImportExisting", testImportExisting},
	{"ImportUpsert", testImportUpsert},
	{"ImportUpsertConflicts", testImportUpsertConflicts},
	{"ImportUpsertSameUserTwice", testImportUpsertSameUserTwice},
	{"ImportKeysOfOtherConnections", testImportKeysOfOtherConnections},
	{"ImportUpsertFreesKeys", testImportUpsertFreesKeys},
	{"ImportUpsertSwapsEmails", testImportUpsertSwapsEmails},
	{"ImportUpsertKeyFromUpdate", testImportUpsertKeyFromUpdate},
	{"ImportProgress", testImportProgress},
	{"ImportErrorsPaging", testImportErrorsPaging},
	{"ImportErrorsCapped", testImportErrorsCapped},
	{"ImportPurge", testImportPurge},
}

// importConn is the connection the import tests write into.
var importConn = connID(7)

// newImportJob returns pending import job n of tenant.
func newImportJob(tenant string, n int) *userport.Job {
	j := newJob(tenant, n, userport.JobUsersImport, userport.JobPending, baseTime)
	j.ConnectionID, j.Connection, j.UploadKey = importConn, "Imports", userport.ImportUploadKey(j.ID)
	return j
}

// createImport creates an import job with no limit, failing t on error.
func createImport(t *testing.T, s userport.Store, j *userport.Job, size int64) {
	t.Helper()
	if err := s.CreateImportJob(t.Context(), j, size, 0, noEnqueue); err != nil {
		t.Fatalf("CreateImportJob(%s): %v", j.ID, err)
	}
}

// importState reads an import job's state, failing t on error.
func importState(t *testing.T, s userport.Store, tenant, id string) *userport.ImportState {
	t.Helper()
	st, err := s.FindImportState(t.Context(), tenant, id)
	if err != nil {
		t.Fatalf("FindImportState(%s): %v", id, err)
	}
	return st
}

// importUser is user n of the import connection as an import candidate at
// the given record. Its Update keeps the existing user's id and creation time
// and takes everything else from the candidate.
func importUser(n int, record int64) userport.ImportUser {
	u := newUser("a", importConn, n)
	echo := json.RawMessage(fmt.Sprintf(`{"email":%q,"password_hash":"*****"}`, u.Email))
	return userport.ImportUser{Record: record, User: u, Echo: func() json.RawMessage { return echo }, Update: func(old *userport.User) (*userport.User, error) {
		x := *u
		x.UserID, x.CreatedAt = old.UserID, old.CreatedAt
		x.Doc = []byte(fmt.Sprintf(`{"user_id":%q,"email":%q,"updated":true}`, old.UserID, u.Email))
		return &x, nil
	}}
}

// batch returns a batch of job j over records [from, to) with users.
func batch(j *userport.Job, from, to int64, users ...userport.ImportUser) *userport.ImportBatch {
	return &userport.ImportBatch{Tenant: j.Tenant, JobID: j.ID, ConnectionID: j.ConnectionID, Upsert: j.Upsert,
		From: from, To: to, BytesRead: to * 100, Users: users}
}

// writeBatch writes b, failing t on error.
func writeBatch(t *testing.T, s userport.Store, b *userport.ImportBatch) *userport.ImportState {
	t.Helper()
	st, err := s.WriteImportBatch(t.Context(), b)
	if err != nil {
		t.Fatalf("WriteImportBatch [%d, %d): %v", b.From, b.To, err)
	}
	return st
}

// importErrors lists every per-user error of a job, failing t on error.
func importErrors(t *testing.T, s userport.Store, tenant, id string) []*userport.ImportError {
	t.Helper()
	list, err := s.ListImportErrors(t.Context(), tenant, id, -1, 0)
	if err != nil {
		t.Fatalf("ListImportErrors: %v", err)
	}
	return list
}

// wantIssues fails t unless the job's errors are, in order, the given
// records with one issue each.
func wantIssues(t *testing.T, s userport.Store, j *userport.Job, records []int64, issues []userport.ImportIssue) {
	t.Helper()
	list := importErrors(t, s, j.Tenant, j.ID)
	if len(list) != len(records) {
		t.Fatalf("%d errors, want %d: %+v", len(list), len(records), list)
	}
	for i, e := range list {
		if e.Record != records[i] || len(e.Errors) != 1 || e.Errors[0] != issues[i] {
			t.Errorf("error %d = record %d %+v, want record %d %+v", i, e.Record, e.Errors, records[i], issues[i])
		}
	}
}

// wantSummary fails t unless the state's summary and cursor are as given.
func wantSummary(t *testing.T, st *userport.ImportState, records int64, want userport.ImportSummary) {
	t.Helper()
	want.Total = records
	if st.Records != records || st.Summary != want {
		t.Errorf("state records %d, summary %+v; want %d, %+v", st.Records, st.Summary, records, want)
	}
}

func testCreateImportJob(t *testing.T, s userport.Store) {
	j := newImportJob("a", 1)
	j.Upsert, j.ExternalID, j.SendEmail, j.NewIDs = true, "ext-1", true, true
	createImport(t, s, j, 12345)
	checkJob(t, findJob(t, s, "a", j.ID), j)
	st := importState(t, s, "a", j.ID)
	want := userport.ImportState{Tenant: "a", JobID: j.ID, FileBytes: 12345}
	if *st != want {
		t.Errorf("FindImportState = %+v, want %+v", *st, want)
	}
	_, err := s.FindImportState(t.Context(), "b", j.ID)
	wantError(t, err, userport.ENOTFOUND, "inexistent_job", jobNotFoundMessage)
	createJobs(t, s, exportJob("a", 2))
	_, err = s.FindImportState(t.Context(), "a", jobID(2))
	wantError(t, err, userport.ENOTFOUND, "inexistent_job", jobNotFoundMessage)
}

func testCreateImportJobLimit(t *testing.T, s userport.Store) {
	ctx := t.Context()
	done := newImportJob("a", 1)
	done.Status = userport.JobCompleted
	running := newImportJob("a", 2)
	running.Status = userport.JobProcessing
	createJobs(t, s, done, running, exportJob("a", 3), newImportJob("b", 4), newImportJob("b", 5))
	if err := s.CreateImportJob(ctx, newImportJob("a", 6), 1, 2, noEnqueue); err != nil {
		t.Fatalf("CreateImportJob with 1 of 2 in flight: %v", err)
	}
	calls := 0
	err := s.CreateImportJob(ctx, newImportJob("a", 7), 1, 2, func(context.Context, userport.Tx) error {
		calls++
		return nil
	})
	wantError(t, err, userport.ETOOMANY, "too_many_requests",
		"There are 2 active import users jobs, please wait until some of them are finished and try again")
	field(t, "enqueue calls over the limit", calls, 0)
	_, err = s.FindJob(ctx, "a", jobID(7))
	wantError(t, err, userport.ENOTFOUND, "inexistent_job", jobNotFoundMessage)
	if err := s.CreateImportJob(ctx, newImportJob("a", 8), 1, 0, noEnqueue); err != nil {
		t.Errorf("CreateImportJob without a limit: %v", err)
	}
	if err := s.CreateImportJob(ctx, newImportJob("c", 9), 1, 1, noEnqueue); err != nil {
		t.Errorf("CreateImportJob of another tenant: %v", err)
	}
}

func testCreateImportJobEnqueueFails(t *testing.T, s userport.Store) {
	failing := errors.New("queue is down")
	j := newImportJob("a", 1)
	err := s.CreateImportJob(t.Context(), j, 10, 2, func(ctx context.Context, tx userport.Tx) error {
		if tx == nil {
			t.Errorf("enqueue got a nil tx")
		}
		return failing
	})
	if !errors.Is(err, failing) {
		t.Errorf("CreateImportJob error = %v, want the enqueue error", err)
	}
	_, err = s.FindImportState(t.Context(), "a", j.ID)
	wantError(t, err, userport.ENOTFOUND, "inexistent_job", jobNotFoundMessage)
	_, err = s.FindJob(t.Context(), "a", j.ID)
	wantError(t, err, userport.ENOTFOUND, "inexistent_job", jobNotFoundMessage)
}

func testImportInserts(t *testing.T, s userport.Store) {
	j := newImportJob("a", 1)
	createImport(t, s, j, 1000)
	a, b := importUser(1, 0), importUser(2, 2)
	b.User.Username, b.CustomPasswordHash = "bee", json.RawMessage(`{"algorithm":"md5","hash":{"value":"x"}}`)
	rejected := userport.ImportError{Record: 1, User: json.RawMessage(`{"email":3}`),
		Errors: []userport.ImportIssue{{Code: userport.ImportInvalidType, Message: "Expected type string but found type integer", Path: "email"}}}
	bt := batch(j, 0, 3, a, b)
	bt.Failed = []userport.ImportError{rejected}
	st := writeBatch(t, s, bt)
	wantSummary(t, st, 3, userport.ImportSummary{Inserted: 2, Failed: 1})
	field(t, "BytesRead", st.BytesRead, 300)
	for _, u := range []userport.ImportUser{a, b} {
		got, err := s.FindUser(t.Context(), "a", u.User.UserID)
		if err != nil {
			t.Fatalf("FindUser: %v", err)
		}
		want := *u.User
		want.ConnectionID = importConn
		checkUser(t, got, &want)
		h, err := s.FindCustomPasswordHash(t.Context(), "a", u.User.UserID)
		if err != nil || string(h) != string(u.CustomPasswordHash) {
			t.Errorf("FindCustomPasswordHash = %s, %v; want %s", h, err, u.CustomPasswordHash)
		}
	}
	list := importErrors(t, s, "a", j.ID)
	if len(list) != 1 || list[0].Record != 1 || string(list[0].User) != string(rejected.User) || !slices.Equal(list[0].Errors, rejected.Errors) {
		t.Errorf("ListImportErrors = %+v, want [%+v]", list, rejected)
	}
	_, err := s.FindCustomPasswordHash(t.Context(), "a", userID(99))
	wantError(t, err, userport.ENOTFOUND, "inexistent_user", notFoundMessage)
}

func testImportCursor(t *testing.T, s userport.Store) {
	j := newImportJob("a", 1)
	createImport(t, s, j, 1000)
	writeBatch(t, s, batch(j, 0, 2, importUser(1, 0), importUser(2, 1)))
	// A second worker that read the same records from 0 must write nothing.
	_, err := s.WriteImportBatch(t.Context(), batch(j, 0, 1, importUser(3, 0)))
	wantError(t, err, userport.ECONFLICT, "", "")
	if _, err := s.FindUser(t.Context(), "a", userID(3)); userport.ErrorCode(err) != userport.ENOTFOUND {
		t.Errorf("the refused batch wrote its user: %v", err)
	}
	st := writeBatch(t, s, batch(j, 2, 4, importUser(4, 3)))
	wantSummary(t, st, 4, userport.ImportSummary{Inserted: 3})
	field(t, "users", countUsers(t, s, "a", importConn), int64(3))
	_, err = s.WriteImportBatch(t.Context(), batch(newImportJob("a", 2), 0, 1))
	wantError(t, err, userport.ENOTFOUND, "inexistent_job", jobNotFoundMessage)
}

func testImportDuplicates(t *testing.T, s userport.Store) {
	for _, upsert := range []bool{false, true} {
		t.Run(fmt.Sprintf("upsert=%v", upsert), func(t *testing.T) {
			n := 1
			if upsert {
				n = 2
			}
			j := newImportJob("t"+fmt.Sprint(n), n)
			j.Upsert = upsert
			createImport(t, s, j, 1000)
			first, sameID, sameEmail, sameName := importUser(1, 0), importUser(1, 1), importUser(2, 2), importUser(3, 3)
			first.User.Username = "first"
			sameEmail.User.Email = first.User.Email
			sameName.User.Username = "first"
			later := importUser(1, 4) // a later batch of the same file
			for _, u := range []*userport.ImportUser{&first, &sameID, &sameEmail, &sameName, &later} {
				u.User.Tenant = j.Tenant
			}
			writeBatch(t, s, batch(j, 0, 4, first, sameID, sameEmail, sameName))
			st := writeBatch(t, s, batch(j, 4, 5, later))
			wantSummary(t, st, 5, userport.ImportSummary{Inserted: 1, Failed: 4})
			wantIssues(t, s, j, []int64{1, 2, 3, 4}, []userport.ImportIssue{userport.ImportDuplicate("user_id"),
				userport.ImportDuplicate("email"), userport.ImportDuplicate("username"), userport.ImportDuplicate("user_id")})
			got, err := s.FindUser(t.Context(), j.Tenant, first.User.UserID)
			if err != nil || string(got.Doc) != string(first.User.Doc) {
				t.Errorf("the first user changed: %v %s", err, got.Doc)
			}
		})
	}
}

func testImportExisting(t *testing.T, s userport.Store) {
	old := newUser("a", importConn, 1)
	old.Username = "taken"
	createUsers(t, s, old, newUser("a", connID(8), 5))
	j := newImportJob("a", 1)
	createImport(t, s, j, 1000)
	sameID, sameEmail, sameName, otherConn := importUser(1, 0), importUser(2, 1), importUser(3, 2), importUser(5, 3)
	sameEmail.User.Email = old.Email
	sameName.User.Username = "taken"
	st := writeBatch(t, s, batch(j, 0, 4, sameID, sameEmail, sameName, otherConn))
	wantSummary(t, st, 4, userport.ImportSummary{Failed: 4})
	wantIssues(t, s, j, []int64{0, 1, 2, 3}, []userport.ImportIssue{userport.ImportExists("user_id"),
		userport.ImportExists("email"), userport.ImportExists("username"), userport.ImportExists("user_id")})
	got, err := s.FindUser(t.Context(), "a", old.UserID)
	if err != nil {
		t.Fatal(err)
	}
	checkUser(t, got, old)
	field(t, "users", countUsers(t, s, "a", ""), int64(2))
}

func testImportUpsert(t *testing.T, s userport.Store) {
	byID, byEmail := newUser("a", importConn, 1), newUser("a", importConn, 2)
	byID.PasswordHash = "$2a$10$old"
	createUsers(t, s, byID, byEmail)
	j := newImportJob("a", 1)
	j.Upsert = true
	createImport(t, s, j, 1000)
	a, b, fresh := importUser(1, 0), importUser(9, 1), importUser(3, 2)
	b.User.Email = byEmail.Email // matched by email: keeps its own user_id
	a.CustomPasswordHash = json.RawMessage(`{"algorithm":"sha256","hash":{"value":"y"}}`)
	var seen []string
	for _, u := range []*userport.ImportUser{&a, &b} {
		update := u.Update
		u.Update = func(old *userport.User) (*userport.User, error) {
			seen = append(seen, old.UserID+" "+string(old.Doc))
			return update(old)
		}
	}
	st := writeBatch(t, s, batch(j, 0, 3, a, b, fresh))
	wantSummary(t, st, 3, userport.ImportSummary{Updated: 2, Inserted: 1})
	wantIDs(t, "Update called with", seen, []string{byID.UserID + " " + string(byID.Doc), byEmail.UserID + " " + string(byEmail.Doc)})
	for _, old := range []*userport.User{byID, byEmail} {
		got, err := s.FindUser(t.Context(), "a", old.UserID)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf(`{"user_id":%q,"email":%q,"updated":true}`, old.UserID, old.Email)
		if string(got.Doc) != want {
			t.Errorf("updated doc = %s, want %s", got.Doc, want)
		}
	}
	h, err := s.FindCustomPasswordHash(t.Context(), "a", byID.UserID)
	if err != nil || string(h) != string(a.CustomPasswordHash) {
		t.Errorf("custom hash after upsert = %s, %v; want %s", h, err, a.CustomPasswordHash)
	}
	field(t, "users", countUsers(t, s, "a", ""), int64(3))
	if len(importErrors(t, s, "a", j.ID)) != 0 {
		t.Errorf("an upsert without conflicts has errors")
	}
}

func testImportUpsertConflicts(t *testing.T, s userport.Store) {
	other := newUser("a", connID(8), 1) // same user_id, another connection
	owner := newUser("a", importConn, 2)
	owner.Username = "owner"
	target := newUser("a", importConn, 3)
	createUsers(t, s, other, owner, target)
	j := newImportJob("a", 1)
	j.Upsert = true
	createImport(t, s, j, 1000)
	otherConn, stealEmail, stealName, newWithName := importUser(1, 0), importUser(3, 1), importUser(3, 2), importUser(4, 3)
	stealEmail.User.Email = owner.Email // matched by user_id 3, then takes user 2's email
	stealName.User.Username = "owner"
	newWithName.User.Username = "owner"
	st := writeBatch(t, s, batch(j, 0, 4, otherConn, stealEmail, stealName, newWithName))
	wantSummary(t, st, 4, userport.ImportSummary{Failed: 4})
	wantIssues(t, s, j, []int64{0, 1, 2, 3}, []userport.ImportIssue{userport.ImportCollision("user_id"),
		userport.ImportCollision("email"), userport.ImportCollision("username"), userport.ImportCollision("username")})
	for _, u := range []*userport.User{other, owner, target} {
		got, err := s.FindUser(t.Context(), "a", u.UserID)
		if err != nil {
			t.Fatal(err)
		}
		checkUser(t, got, u)
	}
}

func testImportProgress(t *testing.T, s userport.Store) {
	j := newImportJob("a", 1)
	createImport(t, s, j, 1000)
	b := batch(j, 0, 1, importUser(1, 0))
	b.PercentageDone, b.TimeLeftSeconds = 40, 17
	writeBatch(t, s, b) // pending: the progress is not shown
	got := findJob(t, s, "a", j.ID)
	field(t, "PercentageDone while pending", got.PercentageDone, 0)
	if _, err := s.StartJob(t.Context(), "a", j.ID, 1, baseTime); err != nil {
		t.Fatal(err)
	}
	b = batch(j, 1, 2, importUser(2, 1))
	b.PercentageDone, b.TimeLeftSeconds = 60, 9
	writeBatch(t, s, b)
	got = findJob(t, s, "a", j.ID)
	field(t, "PercentageDone", got.PercentageDone, 60)
	field(t, "TimeLeftSeconds", got.TimeLeftSeconds, 9)
	field(t, "Status", got.Status, userport.JobProcessing)
}

func testImportErrorsPaging(t *testing.T, s userport.Store) {
	j := newImportJob("a", 1)
	createImport(t, s, j, 1000)
	var failed []userport.ImportError
	for r := int64(4); r >= 0; r-- { // out of order: listed by record
		failed = append(failed, userport.ImportError{Record: r * 2, User: json.RawMessage(fmt.Sprintf(`{"n":%d}`, r)),
			Errors: []userport.ImportIssue{{Code: userport.ImportMissingProperty, Message: "Missing required property: email", Path: "email"}}})
	}
	b := batch(j, 0, 10)
	b.Failed = failed
	writeBatch(t, s, b)
	var got []int64
	after := int64(-1)
	for {
		page, err := s.ListImportErrors(t.Context(), "a", j.ID, after, 2)
		if err != nil {
			t.Fatalf("ListImportErrors: %v", err)
		}
		for _, e := range page {
			got = append(got, e.Record)
			after = e.Record
		}
		if len(page) < 2 {
			break
		}
	}
	if !slices.Equal(got, []int64{0, 2, 4, 6, 8}) {
		t.Errorf("paged records = %v, want [0 2 4 6 8]", got)
	}
	if list := importErrors(t, s, "b", j.ID); len(list) != 0 {
		t.Errorf("another tenant sees %d errors", len(list))
	}
	bad := batch(j, 10, 11)
	bad.Failed = []userport.ImportError{{Record: 3, User: json.RawMessage(`{}`)}}
	if _, err := s.WriteImportBatch(t.Context(), bad); err == nil {
		t.Errorf("an error of a record outside the batch was accepted")
	}
	field(t, "cursor after a refused batch", importState(t, s, "a", j.ID).Records, int64(10))
}

func testImportPurge(t *testing.T, s userport.Store) {
	j := newImportJob("a", 1)
	createImport(t, s, j, 1000)
	b := batch(j, 0, 1)
	b.Failed = []userport.ImportError{{Record: 0, User: json.RawMessage(`{}`), Errors: []userport.ImportIssue{{Code: "X"}}}}
	writeBatch(t, s, b)
	_, err := s.UpdateJob(t.Context(), "a", j.ID, func(j *userport.Job) error {
		j.Status, j.CompletedAt = userport.JobCompleted, baseTime.Add(time.Hour)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	field(t, "records after UpdateJob", importState(t, s, "a", j.ID).Records, int64(1))
	field(t, "errors after UpdateJob", len(importErrors(t, s, "a", j.ID)), 1)
	if err := s.DeleteJob(t.Context(), "a", j.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.FindImportState(t.Context(), "a", j.ID)
	wantError(t, err, userport.ENOTFOUND, "inexistent_job", jobNotFoundMessage)
	field(t, "errors after DeleteJob", len(importErrors(t, s, "a", j.ID)), 0)
}

// testImportErrorsCapped checks that a job keeps its first
// userport.MaxImportErrors per-user errors and counts every one, and that a
// purge deletes them.
func testImportErrorsCapped(t *testing.T, s userport.Store) {
	j := newImportJob("a", 1)
	createImport(t, s, j, 1000)
	failedBatch := func(from, to int64) *userport.ImportBatch {
		b := batch(j, from, to)
		for r := from; r < to; r++ {
			b.Failed = append(b.Failed, userport.ImportError{Record: r, User: json.RawMessage(`{}`),
				Errors: []userport.ImportIssue{{Code: userport.ImportMissingProperty, Message: "Missing required property: email", Path: "email"}}})
		}
		return b
	}
	n := int64(userport.MaxImportErrors)
	writeBatch(t, s, failedBatch(0, n-2))
	st := writeBatch(t, s, failedBatch(n-2, n+3)) // 2 kept, 3 over
	st = writeBatch(t, s, failedBatch(n+3, n+5))  // none kept
	if st.Summary.Failed != n+5 {
		t.Errorf("failed = %d, want %d", st.Summary.Failed, n+5)
	}
	list := importErrors(t, s, "a", j.ID)
	if int64(len(list)) != n || list[len(list)-1].Record != n-1 {
		t.Errorf("%d errors kept, the last of record %d; want %d, up to record %d", len(list), list[len(list)-1].Record, n, n-1)
	}
	// Purging the job deletes them all (an adapter may do it in steps).
	if err := s.DeleteJob(t.Context(), "a", j.ID); err != nil {
		t.Fatal(err)
	}
	field(t, "errors after DeleteJob", len(importErrors(t, s, "a", j.ID)), 0)
}
