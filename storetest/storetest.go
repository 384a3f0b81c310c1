// Package storetest is the behavioural conformance suite of userport.Store:
// every database adapter (sqlite, postgres) runs it and must pass it.
//
// Usage, in an adapter's test:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) userport.Store { return openFresh(t) }, storetest.Options{UserIndexes: indexes})
//	}
package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/userport/userport"
)

// Options are what the suite needs to know of a store beyond userport.Store.
type Options struct {
	// UserIndexes returns the users table's indexes (each with its name and
	// definition) in a fixed order, from the store's catalog: a bulk load
	// must leave them as they were. Required of a userport.UserLoader.
	UserIndexes func(t *testing.T, s userport.Store) []string
	// HoldWrites, when set, opens a transaction that writes users and stays
	// open until its Commit (the replay property test holds it across an
	// export). Nil for a store whose writers wait for each other (SQLite).
	HoldWrites func(t *testing.T, s userport.Store) HeldWriter
}

// Run runs the suite. Each subtest calls open for a new, empty store and
// closes it when the subtest ends (before the cleanups open registered run,
// so open may register one that drops the database). Subtests run one after
// another.
func Run(t *testing.T, open func(t *testing.T) userport.Store, opts Options) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s userport.Store)
	}{
		{"Ping", testPing},
		{"UserRoundTrip", testUserRoundTrip},
		{"UserDocBytes", testUserDocBytes},
		{"UserNotFound", testUserNotFound},
		{"UserConflicts", testUserConflicts},
		{"UserConflictInBatch", testUserConflictInBatch},
		{"UserNoConflict", testUserNoConflict},
		{"UserTenants", testUserTenants},
		{"UpdateUser", testUpdateUser},
		{"DeleteUser", testDeleteUser},
		{"ListUsers", testListUsers},
		{"CountUsers", testCountUsers},
		{"AnalyzeUsers", testAnalyzeUsers},
		{"ReadUsers", testReadUsers},
		{"ReadUsersPaging", testReadUsersPaging},
		{"ReadUsersEmpty", testReadUsersEmpty},
		{"TimeLikeText", testTimeLikeText},
		{"ConnectionRoundTrip", testConnectionRoundTrip},
		{"ConnectionConflicts", testConnectionConflicts},
		{"ListConnectionsOffset", testListConnectionsOffset},
		{"ListConnectionsCheckpoint", testListConnectionsCheckpoint},
		{"Clients", testClients},
		{"JobRoundTrip", testJobRoundTrip},
		{"CreateJobEnqueue", testCreateJobEnqueue},
		{"CreateJobLimit", testCreateJobLimit},
		{"JobNotFound", testJobNotFound},
		{"UpdateJob", testUpdateJob},
		{"UpdateJobManifest", testUpdateJobManifest},
		{"UpdateJobAbort", testUpdateJobAbort},
		{"ListJobs", testListJobs},
		{"JobCounts", testJobCounts},
		{"ListJobsNewestFirst", testListJobsNewestFirst},
		{"DeleteJob", testDeleteJob},
		{"StartJobInCreationOrder", testStartJobInCreationOrder},
	}
	tests = append(tests, importTests...)
	tests = append(tests, partTests...)
	tests = append(tests, compatTests...)
	tests = append(tests, concurrencyTests...)
	tests = append(tests, secretTests...)
	tests = append(tests, depthTests...)
	tests = append(tests, changeTests...)
	tests = append(tests, webhookTests...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, openStore(t, open)) })
	}
	t.Run("LoadUsers", func(t *testing.T) { testLoadUsers(t, open, opts) })
	t.Run("ChangesReplay", func(t *testing.T) { testChangesReplay(t, openStore(t, open), opts.HoldWrites) })
}

// openStore calls open for a new, empty store, closed when t ends.
func openStore(t *testing.T, open func(t *testing.T) userport.Store) userport.Store {
	t.Helper()
	s := open(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func testPing(t *testing.T, s userport.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// baseTime is a timestamp with sub-millisecond digits, outside UTC: stores
// keep milliseconds and return UTC.
var baseTime = time.Date(2024, 3, 10, 22, 15, 30, 123_456_789, time.FixedZone("UTC+5:30", 5*3600+1800))

// wantError fails t unless err is a *userport.Error with code and detail, and
// with message when message is not "".
func wantError(t *testing.T, err error, code, detail, message string) {
	t.Helper()
	if got := userport.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
	if got := userport.ErrorDetail(err); got != detail {
		t.Errorf("error detail = %q, want %q", got, detail)
	}
	if got := userport.ErrorMessage(err); message != "" && got != message {
		t.Errorf("error message = %q, want %q", got, message)
	}
}

// checkTime fails t unless got is want at millisecond precision, in UTC.
func checkTime(t *testing.T, name string, got, want time.Time) {
	t.Helper()
	w := want.Truncate(time.Millisecond).UTC()
	if !got.Equal(w) {
		t.Errorf("%s = %v, want %v", name, got, w)
	}
	if !got.IsZero() && got.Location() != time.UTC {
		t.Errorf("%s location = %v, want UTC", name, got.Location())
	}
}

// field compares one field of a got and want pair.
func field[T comparable](t *testing.T, name string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", name, got, want)
	}
}

// userID is the n-th user id; ids sort in n order.
func userID(n int) string { return fmt.Sprintf("auth0|%024x", n) }

// connID is the n-th connection id; ids sort in n order.
func connID(n int) string { return fmt.Sprintf("con_%016d", n) }

// newUser returns user n of a tenant's connection, with an email, no
// username and a small profile document.
func newUser(tenant, connectionID string, n int) *userport.User {
	id := userID(n)
	email := fmt.Sprintf("user%d@example.com", n)
	created := baseTime.Add(time.Duration(n) * time.Minute)
	doc := fmt.Sprintf(`{"user_id":%q,"email":%q,"identities":[{"connection":"Username-Password-Authentication",`+
		`"provider":"auth0","user_id":%q,"isSocial":false}],"created_at":%q,"updated_at":%q}`,
		id, email, id[len("auth0|"):], userport.FormatTime(created), userport.FormatTime(created))
	return &userport.User{
		Tenant: tenant, UserID: id, ConnectionID: connectionID, Email: email,
		PasswordHash: "$2a$10$" + id, CreatedAt: created, UpdatedAt: created, Doc: []byte(doc),
	}
}

// createUsers creates users, failing t on error.
func createUsers(t *testing.T, s userport.Store, users ...*userport.User) {
	t.Helper()
	if err := s.CreateUsers(t.Context(), users...); err != nil {
		t.Fatalf("CreateUsers: %v", err)
	}
}

// checkUser fails t unless got holds what want held when stored.
func checkUser(t *testing.T, got, want *userport.User) {
	t.Helper()
	field(t, "Tenant", got.Tenant, want.Tenant)
	field(t, "UserID", got.UserID, want.UserID)
	field(t, "ConnectionID", got.ConnectionID, want.ConnectionID)
	field(t, "Email", got.Email, want.Email)
	field(t, "Username", got.Username, want.Username)
	field(t, "PasswordHash", got.PasswordHash, want.PasswordHash)
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	if !bytes.Equal(got.Doc, want.Doc) {
		t.Errorf("Doc = %s, want %s", got.Doc, want.Doc)
	}
}

// countUsers counts users, failing t on error.
func countUsers(t *testing.T, s userport.Store, tenant, connectionID string) int64 {
	t.Helper()
	n, err := s.CountUsers(t.Context(), tenant, connectionID)
	if err != nil {
		t.Fatalf("CountUsers(%q, %q): %v", tenant, connectionID, err)
	}
	return n
}

// userIDs returns the user ids of users.
func userIDs(users []*userport.User) []string {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.UserID
	}
	return ids
}

// wantIDs fails t unless got and want hold the same ids in the same order.
func wantIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}
