package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/userport/userport"
)

// timeLike are texts a SQL driver might take for times: RFC 3339 with and
// without fractions and offsets, SQLite's own format, a bare date.
var timeLike = []string{
	"2024-01-02T03:04:05Z",
	"2024-01-02T03:04:05.123456789+01:00",
	"2024-01-02 03:04:05",
	"2024-01-02",
}

// lastLogin is the last login of user i of timeLikeUsers.
func lastLogin(i int) string { return fmt.Sprintf("2024-01-02T03:04:05.%03dZ", i) }

// timeLikeUsers are users whose user_id, email, username, connection and
// last_login are the texts of timeLike (user i has the i-th of each, the
// connection is the first for all).
func timeLikeUsers(tenant string) []*userport.User {
	var users []*userport.User
	for i, s := range timeLike {
		u := newUser(tenant, timeLike[0], i)
		u.UserID, u.Email, u.Username = s, "e"+s, "u"+s
		u.Doc = fmt.Appendf(nil, `{"user_id":%q,"email":%q,"last_login":%q}`, u.UserID, u.Email, lastLogin(i))
		users = append(users, u)
	}
	return users
}

// testTimeLikeText stores users whose keys look like times and reads them
// back through every lookup, list and scan: each text comes back as it was
// stored, never as a time or in another format, and the key scans page on.
func testTimeLikeText(t *testing.T, s userport.Store) {
	ctx := t.Context()
	users := timeLikeUsers("dev")
	createUsers(t, s, users...)
	byID := slices.Clone(users)
	slices.SortFunc(byID, func(a, b *userport.User) int { return strings.Compare(a.UserID, b.UserID) })
	for _, u := range users {
		got, err := s.FindUser(ctx, "dev", u.UserID)
		if err != nil {
			t.Fatalf("FindUser(%q): %v", u.UserID, err)
		}
		checkUser(t, got, u)
		found, err := s.FindUsersByEmail(ctx, "dev", u.Email)
		if err != nil || len(found) != 1 {
			t.Fatalf("FindUsersByEmail(%q) = %d users, %v", u.Email, len(found), err)
		}
		checkUser(t, found[0], u)
	}
	for _, conn := range []string{"", timeLike[0]} {
		list, err := s.ListUsers(ctx, userport.UserFilter{Tenant: "dev", ConnectionID: conn})
		if err != nil {
			t.Fatalf("ListUsers(%q): %v", conn, err)
		}
		wantIDs(t, "ListUsers "+conn, userIDs(list), userIDs(byID))
	}
	sample, err := s.SampleUsers(ctx, "dev", timeLike[0], 1000)
	if err != nil {
		t.Fatalf("SampleUsers: %v", err)
	}
	wantIDs(t, "SampleUsers", sample.IDs, userIDs(byID))
	var p userport.UserPage
	var read []string
	for sc := (userport.UserScan{Tenant: "dev", Limit: 1}); len(read) <= len(users); sc.After = p.Last {
		if err := s.ReadUsers(ctx, sc, &p); err != nil {
			t.Fatalf("ReadUsers: %v", err)
		}
		if p.Len() == 0 {
			break
		}
		read = append(read, p.Last)
	}
	wantIDs(t, "ReadUsers", read, userIDs(byID))
	for key := userport.KeyUserID; key <= userport.KeyLastLogin; key++ {
		testTimeLikeKeyScan(t, s, key, users)
	}
}

// testTimeLikeKeyScan pages through the users of timeLikeUsers one at a time
// in key order, and checks each page's LastKey.
func testTimeLikeKeyScan(t *testing.T, s userport.Store, key userport.UserKey, users []*userport.User) {
	keyOf := map[string]string{}
	for i, u := range users {
		keyOf[u.UserID] = []string{u.UserID, u.Email, u.ConnectionID, userport.FormatTime(u.CreatedAt),
			lastLogin(i)}[key]
	}
	sc := userport.UserKeyScan{Tenant: "dev", Key: key, Limit: 1}
	var p userport.UserPage
	seen := 0
	for ; seen <= len(users); seen++ {
		if err := s.ScanUserKeys(t.Context(), sc, &p); err != nil {
			t.Fatalf("ScanUserKeys(key %d): %v", key, err)
		}
		if p.Len() == 0 {
			break
		}
		if want := keyOf[p.Last]; p.LastKey != want {
			t.Errorf("ScanUserKeys(key %d) page of %q: LastKey %q, want %q", key, p.Last, p.LastKey, want)
		}
		sc.AfterKey, sc.AfterID = p.LastKey, p.Last
	}
	if seen != len(users) {
		t.Errorf("ScanUserKeys(key %d) read %d pages of one user, want %d", key, seen, len(users))
	}
}
