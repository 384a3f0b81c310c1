package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
)

const (
	conflictMessage = "The user already exists."
	notFoundMessage = "The user does not exist."
)

func testUserRoundTrip(t *testing.T, s userport.Store) {
	u := newUser("a", connID(1), 1)
	u.Username = "Jane_Doe"
	u.UpdatedAt = baseTime.Add(36 * time.Hour).Add(999_999 * time.Nanosecond)
	createUsers(t, s, u)
	got, err := s.FindUser(t.Context(), "a", u.UserID)
	if err != nil {
		t.Fatalf("FindUser: %v", err)
	}
	checkUser(t, got, u)
}

func testUserDocBytes(t *testing.T, s userport.Store) {
	// Each document keeps the bytes it was given, wherever its user_id is.
	docs := []string{
		`{"name":"Zoë Ångström 漢字 😀","user_id":%q}`,
		`{"user_id":%q,"name":"caf\u00e9 \ud83d\ude00","quote":"say \"hi\"","path":"C:\\dir\\file"}`,
		`{"note":"line one\nline two\r\n\ttabbed","user_id":%q,"html":"\u003cb\u003e"}`,
		"{\n  \"z\": 1,\n  \"a\" :  [ 1 , 2 ],\n  \"user_id\" : %q,\n  \"m\": {}\n}",
		`{"user_metadata":{"bio":"` + strings.Repeat("lorem ipsum ", 2000) + `"},"user_id":%q}`,
	}
	var users []*userport.User
	for i, doc := range docs {
		u := newUser("a", connID(1), i)
		u.Doc = []byte(fmt.Sprintf(doc, u.UserID))
		users = append(users, u)
	}
	createUsers(t, s, users...)
	for _, u := range users {
		got, err := s.FindUser(t.Context(), "a", u.UserID)
		if err != nil {
			t.Fatalf("FindUser: %v", err)
		}
		if string(got.Doc) != string(u.Doc) {
			t.Errorf("FindUser doc = %q, want %q", got.Doc, u.Doc)
		}
	}
	var p userport.UserPage
	readPage(t, s, userport.UserScan{Tenant: "a", Limit: 10}, &p)
	if p.Len() != len(users) {
		t.Fatalf("ReadUsers read %d documents, want %d", p.Len(), len(users))
	}
	for i, u := range users {
		if string(p.Doc(i)) != string(u.Doc) {
			t.Errorf("ReadUsers doc = %q, want %q", p.Doc(i), u.Doc)
		}
	}
}

func testUserNotFound(t *testing.T, s userport.Store) {
	ctx := t.Context()
	createUsers(t, s, newUser("a", connID(1), 1))
	_, err := s.FindUser(ctx, "a", userID(2))
	wantError(t, err, userport.ENOTFOUND, "inexistent_user", notFoundMessage)
	err = s.UpdateUser(ctx, newUser("a", connID(1), 2))
	wantError(t, err, userport.ENOTFOUND, "inexistent_user", notFoundMessage)
	err = s.DeleteUser(ctx, "a", userID(2))
	wantError(t, err, userport.ENOTFOUND, "inexistent_user", notFoundMessage)
}

func testUserConflicts(t *testing.T, s userport.Store) {
	existing := newUser("a", connID(1), 1)
	existing.Username = "taken"
	createUsers(t, s, existing)
	tests := []struct {
		name   string
		change func(u *userport.User)
	}{
		{"user_id", func(u *userport.User) { u.UserID = existing.UserID }},
		{"email", func(u *userport.User) { u.Email = existing.Email }},
		{"username", func(u *userport.User) { u.Username = existing.Username }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fresh, clash := newUser("a", connID(1), 10), newUser("a", connID(1), 11)
			tt.change(clash)
			err := s.CreateUsers(t.Context(), fresh, clash)
			wantError(t, err, userport.ECONFLICT, "auth0_idp_error", conflictMessage)
			_, err = s.FindUser(t.Context(), "a", fresh.UserID)
			wantError(t, err, userport.ENOTFOUND, "inexistent_user", notFoundMessage)
			if n := countUsers(t, s, "a", ""); n != 1 {
				t.Errorf("CountUsers after failed batch = %d, want 1", n)
			}
		})
	}
}

func testUserConflictInBatch(t *testing.T, s userport.Store) {
	a, b, c := newUser("a", connID(1), 1), newUser("a", connID(1), 2), newUser("a", connID(1), 3)
	c.Email = a.Email
	err := s.CreateUsers(t.Context(), a, b, c)
	wantError(t, err, userport.ECONFLICT, "auth0_idp_error", conflictMessage)
	if n := countUsers(t, s, "a", ""); n != 0 {
		t.Errorf("CountUsers after failed batch = %d, want 0", n)
	}
	createUsers(t, s, a, b) // the batch left nothing behind
}

func testUserNoConflict(t *testing.T, s userport.Store) {
	first := newUser("a", connID(1), 1)
	first.Username = "jane"
	otherConn := newUser("a", connID(2), 2)
	otherConn.Email, otherConn.Username = first.Email, first.Username
	otherTenant := newUser("b", connID(1), 1)
	otherTenant.Username = first.Username
	noEmail1, noEmail2 := newUser("a", connID(1), 3), newUser("a", connID(1), 4)
	noEmail1.Email, noEmail2.Email = "", ""
	createUsers(t, s, first, otherConn, otherTenant, noEmail1, noEmail2)
	if n := countUsers(t, s, "a", ""); n != 4 {
		t.Errorf("CountUsers(a) = %d, want 4", n)
	}
	if n := countUsers(t, s, "b", ""); n != 1 {
		t.Errorf("CountUsers(b) = %d, want 1", n)
	}
}

func testUserTenants(t *testing.T, s userport.Store) {
	ctx := t.Context()
	u := newUser("a", connID(1), 1)
	createUsers(t, s, u)
	_, err := s.FindUser(ctx, "b", u.UserID)
	wantError(t, err, userport.ENOTFOUND, "inexistent_user", notFoundMessage)
	if n := countUsers(t, s, "b", ""); n != 0 {
		t.Errorf("CountUsers(b) = %d, want 0", n)
	}
	if n := countUsers(t, s, "b", connID(1)); n != 0 {
		t.Errorf("CountUsers(b, conn) = %d, want 0", n)
	}
	list, err := s.ListUsers(ctx, userport.UserFilter{Tenant: "b", Limit: 10})
	if err != nil || len(list) != 0 {
		t.Errorf("ListUsers(b) = %d users, %v; want none", len(list), err)
	}
	var p userport.UserPage
	if err := s.ReadUsers(ctx, userport.UserScan{Tenant: "b", Limit: 10}, &p); err != nil || p.Len() != 0 {
		t.Errorf("ReadUsers(b) = %d users, %v; want none", p.Len(), err)
	}
	intruder := newUser("b", connID(1), 1)
	intruder.Email = "intruder@example.com"
	wantError(t, s.UpdateUser(ctx, intruder), userport.ENOTFOUND, "inexistent_user", notFoundMessage)
	wantError(t, s.DeleteUser(ctx, "b", u.UserID), userport.ENOTFOUND, "inexistent_user", notFoundMessage)
	got, err := s.FindUser(ctx, "a", u.UserID)
	if err != nil {
		t.Fatalf("FindUser(a): %v", err)
	}
	checkUser(t, got, u)
}

func testUpdateUser(t *testing.T, s userport.Store) {
	ctx := t.Context()
	u, other := newUser("a", connID(1), 1), newUser("a", connID(1), 2)
	other.Username = "other"
	createUsers(t, s, u, other)

	changed := *u
	changed.Email, changed.Username, changed.PasswordHash = "new@example.com", "newname", "$2a$10$new"
	changed.UpdatedAt = baseTime.Add(48 * time.Hour)
	changed.Doc = []byte(`{"user_id":"` + u.UserID + `","email":"new@example.com"}`)
	if err := s.UpdateUser(ctx, &changed); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	if err := s.UpdateUser(ctx, &changed); err != nil {
		t.Fatalf("UpdateUser keeping its own email and username: %v", err)
	}
	got, err := s.FindUser(ctx, "a", u.UserID)
	if err != nil {
		t.Fatalf("FindUser: %v", err)
	}
	checkUser(t, got, &changed)

	clash := changed
	clash.Email = other.Email
	wantError(t, s.UpdateUser(ctx, &clash), userport.ECONFLICT, "auth0_idp_error", conflictMessage)
	clash = changed
	clash.Username = other.Username
	wantError(t, s.UpdateUser(ctx, &clash), userport.ECONFLICT, "auth0_idp_error", conflictMessage)
	if got, err = s.FindUser(ctx, "a", u.UserID); err != nil {
		t.Fatalf("FindUser: %v", err)
	}
	checkUser(t, got, &changed)

	moved := changed
	moved.ConnectionID, moved.Email = connID(2), other.Email
	if err := s.UpdateUser(ctx, &moved); err != nil {
		t.Fatalf("UpdateUser to another connection: %v", err)
	}
	if n := countUsers(t, s, "a", connID(2)); n != 1 {
		t.Errorf("CountUsers(connection 2) = %d, want 1", n)
	}
}

func testDeleteUser(t *testing.T, s userport.Store) {
	ctx := t.Context()
	u, keep := newUser("a", connID(1), 1), newUser("a", connID(1), 2)
	createUsers(t, s, u, keep)
	if err := s.DeleteUser(ctx, "a", u.UserID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, err := s.FindUser(ctx, "a", u.UserID)
	wantError(t, err, userport.ENOTFOUND, "inexistent_user", notFoundMessage)
	wantError(t, s.DeleteUser(ctx, "a", u.UserID), userport.ENOTFOUND, "inexistent_user", notFoundMessage)
	if _, err := s.FindUser(ctx, "a", keep.UserID); err != nil {
		t.Errorf("FindUser of the other user: %v", err)
	}
	again := newUser("a", connID(1), 3)
	again.Email = u.Email
	createUsers(t, s, again) // the email is free again
}

// seedUsers creates n users of tenant "a" in shuffled order: odd numbers in
// connection 1, even in connection 2. It returns them in user_id order.
func seedUsers(t *testing.T, s userport.Store, n int) []*userport.User {
	t.Helper()
	users := make([]*userport.User, n)
	for i := range users {
		users[i] = newUser("a", connID(2-(i+1)%2), i+1)
	}
	shuffled := append([]*userport.User(nil), users...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(n, func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	createUsers(t, s, shuffled...)
	createUsers(t, s, newUser("b", connID(1), n+1))
	return users
}

// ofConnection returns the users of one connection.
func ofConnection(users []*userport.User, connectionID string) []*userport.User {
	var out []*userport.User
	for _, u := range users {
		if u.ConnectionID == connectionID {
			out = append(out, u)
		}
	}
	return out
}

// window returns users[offset:offset+limit], clipped.
func window(users []*userport.User, offset, limit int) []*userport.User {
	return users[min(offset, len(users)):min(offset+limit, len(users))]
}

func testListUsers(t *testing.T, s userport.Store) {
	users := seedUsers(t, s, 25)
	tests := []struct {
		conn          string
		offset, limit int
	}{
		{"", 0, 10}, {"", 10, 10}, {"", 20, 10}, {"", 30, 10}, {"", 0, 100}, {"", 24, 1},
		{connID(1), 0, 5}, {connID(1), 5, 5}, {connID(1), 10, 5}, {connID(2), 0, 50},
		{connID(3), 0, 10},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d/%d", tt.conn, tt.offset, tt.limit), func(t *testing.T) {
			matching := users
			if tt.conn != "" {
				matching = ofConnection(users, tt.conn)
			}
			f := userport.UserFilter{Tenant: "a", ConnectionID: tt.conn, Offset: tt.offset, Limit: tt.limit}
			list, err := s.ListUsers(t.Context(), f)
			if err != nil {
				t.Fatalf("ListUsers: %v", err)
			}
			want := window(matching, tt.offset, tt.limit)
			wantIDs(t, "ids", userIDs(list), userIDs(want))
			for i := range min(len(list), len(want)) {
				checkUser(t, list[i], want[i])
			}
		})
	}
}

func testCountUsers(t *testing.T, s userport.Store) {
	seedUsers(t, s, 25)
	tests := []struct {
		tenant, conn string
		want         int64
	}{
		{"a", "", 25}, {"a", connID(1), 13}, {"a", connID(2), 12}, {"a", connID(3), 0},
		{"b", "", 1}, {"b", connID(2), 0}, {"c", "", 0},
	}
	for _, tt := range tests {
		if got := countUsers(t, s, tt.tenant, tt.conn); got != tt.want {
			t.Errorf("CountUsers(%q, %q) = %d, want %d", tt.tenant, tt.conn, got, tt.want)
		}
	}
}

// testAnalyzeUsers checks that an analysis of the users, with or without
// vacuum, runs on a store with users and changes none of them.
func testAnalyzeUsers(t *testing.T, s userport.Store) {
	users := seedUsers(t, s, 25)
	for _, vacuum := range []bool{false, true, false} {
		if err := s.AnalyzeUsers(t.Context(), vacuum); err != nil {
			t.Fatalf("AnalyzeUsers(%v): %v", vacuum, err)
		}
	}
	got, err := s.ListUsers(t.Context(), userport.UserFilter{Tenant: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(userIDs(got), userIDs(users)) {
		t.Errorf("users after AnalyzeUsers = %q, want %q", userIDs(got), userIDs(users))
	}
}
