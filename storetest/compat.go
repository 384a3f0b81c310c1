package storetest

import (
	"testing"
	"time"

	"github.com/userport/userport"
)

// compatTests are the store's part of the calls around the export that
// Auth0's SDKs make (issue 12): users by email, connection options, update
// and delete.
var compatTests = []struct {
	name string
	fn   func(t *testing.T, s userport.Store)
}{
	{"FindUsersByEmail", testFindUsersByEmail},
	{"ConnectionOptions", testConnectionOptions},
	{"DeleteConnection", testDeleteConnection},
	{"PurgeConnection", testPurgeConnection},
}

func testFindUsersByEmail(t *testing.T, s userport.Store) {
	ctx := t.Context()
	a, b := newUser("t", connID(1), 1), newUser("t", connID(2), 2)
	b.Email = a.Email // the same email in two connections
	other := newUser("u", connID(1), 3)
	other.Email = a.Email // and in another tenant
	createUsers(t, s, a, b, other, newUser("t", connID(1), 4))
	got, err := s.FindUsersByEmail(ctx, "t", a.Email)
	if err != nil {
		t.Fatalf("FindUsersByEmail: %v", err)
	}
	wantIDs(t, "users by email", userIDs(got), userIDs([]*userport.User{a, b}))
	if len(got) == 2 {
		checkUser(t, got[1], b)
	}
	for _, email := range []string{"", "USER1@example.com", "nobody@example.com"} {
		got, err := s.FindUsersByEmail(ctx, "t", email)
		if err != nil || len(got) != 0 {
			t.Errorf("FindUsersByEmail(%q) = %d users, %v; want none", email, len(got), err)
		}
	}
}

func testConnectionOptions(t *testing.T, s userport.Store) {
	ctx := t.Context()
	c := newConnection("a", 1)
	c.Options = []byte(`{"mfa":{"active":true},"upstream_params":{"screen_name":{"alias":"login_hint"}},"a":"&"}`)
	createConnections(t, s, c)
	got, err := s.FindConnection(ctx, "a", c.ID)
	if err != nil || string(got.Options) != string(c.Options) {
		t.Fatalf("FindConnection: options %s, %v; want %s", got.Options, err, c.Options)
	}
	c.Options = []byte(`{"brute_force_protection":false}`)
	if err := s.UpdateConnection(ctx, c); err != nil {
		t.Fatalf("UpdateConnection: %v", err)
	}
	list, _, err := s.ListConnections(ctx, userport.ConnectionFilter{Tenant: "a", Limit: 10})
	if err != nil || len(list) != 1 || string(list[0].Options) != string(c.Options) {
		t.Fatalf("ListConnections after the update: %v, %v; want options %s", list, err, c.Options)
	}
	absent := newConnection("a", 2)
	wantError(t, s.UpdateConnection(ctx, absent), userport.ENOTFOUND, "inexistent_connection", "The connection does not exist.")
}

func testDeleteConnection(t *testing.T, s userport.Store) {
	ctx := t.Context()
	c, kept := newConnection("a", 1), newConnection("a", 2)
	createConnections(t, s, c, kept)
	at := baseTime.Add(time.Hour)
	if err := s.DeleteConnection(ctx, "a", c.ID, at); err != nil {
		t.Fatalf("DeleteConnection: %v", err)
	}
	const msg = "The connection does not exist."
	wantError(t, s.DeleteConnection(ctx, "a", c.ID, at), userport.ENOTFOUND, "inexistent_connection", msg)
	wantError(t, s.DeleteConnection(ctx, "b", kept.ID, at), userport.ENOTFOUND, "inexistent_connection", msg)
	_, err := s.FindConnection(ctx, "a", c.ID)
	wantError(t, err, userport.ENOTFOUND, "inexistent_connection", msg)
	_, err = s.FindConnectionByName(ctx, "a", c.Name)
	wantError(t, err, userport.ENOTFOUND, "inexistent_connection", msg)
	wantError(t, s.UpdateConnection(ctx, c), userport.ENOTFOUND, "inexistent_connection", msg)
	list, total, err := s.ListConnections(ctx, userport.ConnectionFilter{Tenant: "a", Limit: 10})
	if err != nil || total != 1 || len(list) != 1 || list[0].ID != kept.ID {
		t.Fatalf("ListConnections: %d of %d, %v; want only %s", len(list), total, err, kept.ID)
	}
	deleted, err := s.ListDeletedConnections(ctx)
	if err != nil || len(deleted) != 1 || deleted[0].ID != c.ID {
		t.Fatalf("ListDeletedConnections = %v, %v; want %s", deleted, err, c.ID)
	}
	checkTime(t, "DeletedAt", deleted[0].DeletedAt, at)
}

func testPurgeConnection(t *testing.T, s userport.Store) {
	ctx := t.Context()
	c, kept := newConnection("a", 1), newConnection("a", 2)
	createConnections(t, s, c, kept)
	var users []*userport.User
	for n := range 5 {
		users = append(users, newUser("a", c.ID, n))
	}
	keptUser := newUser("a", kept.ID, 9)
	createUsers(t, s, append(users, keptUser, newUser("b", c.ID, 10))...)
	if err := s.DeleteConnection(ctx, "a", c.ID, baseTime); err != nil {
		t.Fatalf("DeleteConnection: %v", err)
	}
	var batches []int
	for range 10 {
		n, err := s.PurgeConnection(ctx, "a", c.ID, 2)
		if err != nil {
			t.Fatalf("PurgeConnection: %v", err)
		}
		batches = append(batches, n)
		if n == 0 {
			break
		}
	}
	if want := []int{2, 2, 1, 0}; len(batches) != len(want) || batches[0] != 2 || batches[2] != 1 {
		t.Errorf("batches = %v, want %v", batches, want)
	}
	if n := countUsers(t, s, "a", c.ID); n != 0 {
		t.Errorf("%d users of the deleted connection left", n)
	}
	if n := countUsers(t, s, "a", kept.ID) + countUsers(t, s, "b", c.ID); n != 2 {
		t.Errorf("%d users of other connections and tenants, want 2", n)
	}
	if deleted, err := s.ListDeletedConnections(ctx); err != nil || len(deleted) != 0 {
		t.Errorf("ListDeletedConnections after the purge = %d, %v; want none", len(deleted), err)
	}
	createConnections(t, s, newConnection("a", 3)) // the name is free again
}
