package storetest

import (
	"fmt"
	"testing"

	"github.com/userport/userport"
)

// The cases of the import's rules that a batched store could get wrong:
// users written earlier in the same batch, keys freed or taken by updates,
// keys of other connections, keys only an update gives.

// upsertJob creates upsert import job 1 of tenant "a".
func upsertJob(t *testing.T, s userport.Store) *userport.Job {
	t.Helper()
	j := newImportJob("a", 1)
	j.Upsert = true
	createImport(t, s, j, 1000)
	return j
}

// wantUser fails t unless the stored user id has the username and email.
func wantUser(t *testing.T, s userport.Store, id, username, email string) {
	t.Helper()
	got, err := s.FindUser(t.Context(), "a", id)
	if err != nil {
		t.Fatalf("FindUser(%s): %v", id, err)
	}
	if got.Username != username || got.Email != email {
		t.Errorf("user %s has username %q, email %q; want %q, %q", id, got.Username, got.Email, username, email)
	}
}

// testImportUpsertSameUserTwice: two records of one batch that match the
// same existing user, by user_id and by email: the first updates it, the
// others are duplicates.
func testImportUpsertSameUserTwice(t *testing.T, s userport.Store) {
	old := newUser("a", importConn, 1)
	createUsers(t, s, old)
	j := upsertJob(t, s)
	byID, byEmail, again := importUser(1, 0), importUser(9, 1), importUser(1, 2)
	byEmail.User.Email = old.Email
	st := writeBatch(t, s, batch(j, 0, 3, byID, byEmail, again))
	wantSummary(t, st, 3, userport.ImportSummary{Updated: 1, Failed: 2})
	wantIssues(t, s, j, []int64{1, 2}, []userport.ImportIssue{userport.ImportDuplicate("email"), userport.ImportDuplicate("user_id")})
	field(t, "users", countUsers(t, s, "a", ""), int64(1))
	if _, err := s.FindUser(t.Context(), "a", userID(9)); userport.ErrorCode(err) != userport.ENOTFOUND {
		t.Errorf("the duplicate by email was inserted: %v", err)
	}
}

// testImportKeysOfOtherConnections: an email or username of a user of
// another connection is free in the import's connection, with or without
// upsert, and matches nobody.
func testImportKeysOfOtherConnections(t *testing.T, s userport.Store) {
	for n, upsert := range []bool{false, true} {
		other := newUser("a", connID(8), 5+n)
		other.Username = fmt.Sprint("shared", n)
		createUsers(t, s, other)
		j := newImportJob("a", n+1)
		j.Upsert = upsert
		createImport(t, s, j, 1000)
		u := importUser(7+n, 0)
		u.User.Email, u.User.Username = other.Email, other.Username
		st := writeBatch(t, s, batch(j, 0, 1, u))
		wantSummary(t, st, 1, userport.ImportSummary{Inserted: 1})
		wantUser(t, s, u.User.UserID, other.Username, other.Email)
		got, err := s.FindUser(t.Context(), "a", other.UserID)
		if err != nil {
			t.Fatal(err)
		}
		checkUser(t, got, other)
	}
}

// testImportUpsertFreesKeys: within one batch, in file order, a username
// is taken until an update frees it, and then free; a key an earlier update
// took is the batch's own (a duplicate).
func testImportUpsertFreesKeys(t *testing.T, s userport.Store) {
	a, b := newUser("a", importConn, 1), newUser("a", importConn, 2)
	a.Username, b.Username = "old", "bee"
	createUsers(t, s, a, b)
	j := upsertJob(t, s)
	tooEarly, rename, inTime, follow := importUser(3, 0), importUser(1, 1), importUser(4, 2), importUser(2, 3)
	tooEarly.User.Username, rename.User.Username, inTime.User.Username, follow.User.Username = "old", "new", "old", "new"
	st := writeBatch(t, s, batch(j, 0, 4, tooEarly, rename, inTime, follow))
	wantSummary(t, st, 4, userport.ImportSummary{Updated: 1, Inserted: 1, Failed: 2})
	wantIssues(t, s, j, []int64{0, 3}, []userport.ImportIssue{userport.ImportCollision("username"), userport.ImportDuplicate("username")})
	wantUser(t, s, a.UserID, "new", a.Email)
	wantUser(t, s, inTime.User.UserID, "old", inTime.User.Email)
	wantUser(t, s, b.UserID, "bee", b.Email)
	if _, err := s.FindUser(t.Context(), "a", tooEarly.User.UserID); userport.ErrorCode(err) != userport.ENOTFOUND {
		t.Errorf("the user whose username was taken was inserted: %v", err)
	}
}

// testImportUpsertSwapsEmails: an update may take an email that an earlier
// update of the batch gave up.
func testImportUpsertSwapsEmails(t *testing.T, s userport.Store) {
	a, b := newUser("a", importConn, 1), newUser("a", importConn, 2)
	createUsers(t, s, a, b)
	j := upsertJob(t, s)
	moveA, moveB := importUser(1, 0), importUser(2, 1)
	moveA.User.Email, moveB.User.Email = "spare@example.com", a.Email
	st := writeBatch(t, s, batch(j, 0, 2, moveA, moveB))
	wantSummary(t, st, 2, userport.ImportSummary{Updated: 2})
	wantUser(t, s, a.UserID, "", "spare@example.com")
	wantUser(t, s, b.UserID, "", a.Email)
}

// testImportUpsertKeyFromUpdate: the key an update gives, not in the
// record, collides like the record's own.
func testImportUpsertKeyFromUpdate(t *testing.T, s userport.Store) {
	owner, target := newUser("a", importConn, 2), newUser("a", importConn, 3)
	owner.Username = "owner"
	createUsers(t, s, owner, target)
	j := upsertJob(t, s)
	u := importUser(3, 0)
	update := u.Update
	u.Update = func(old *userport.User) (*userport.User, error) {
		x, err := update(old)
		if err == nil {
			x.Username = "owner"
		}
		return x, err
	}
	st := writeBatch(t, s, batch(j, 0, 1, u))
	wantSummary(t, st, 1, userport.ImportSummary{Failed: 1})
	wantIssues(t, s, j, []int64{0}, []userport.ImportIssue{userport.ImportCollision("username")})
	got, err := s.FindUser(t.Context(), "a", target.UserID)
	if err != nil {
		t.Fatal(err)
	}
	checkUser(t, got, target)
}
