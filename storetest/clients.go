package storetest

import (
	"slices"
	"testing"

	"github.com/userport/userport"
)

// checkClient fails t unless got holds what want held when stored.
func checkClient(t *testing.T, got, want *userport.Client) {
	t.Helper()
	field(t, "Tenant", got.Tenant, want.Tenant)
	field(t, "ID", got.ID, want.ID)
	field(t, "Name", got.Name, want.Name)
	field(t, "SecretHash", got.SecretHash, want.SecretHash)
	if !slices.Equal(got.Scopes, want.Scopes) {
		t.Errorf("Scopes = %q, want %q", got.Scopes, want.Scopes)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
}

// findClient finds a client, failing t on error.
func findClient(t *testing.T, s userport.Store, tenant, id string) *userport.Client {
	t.Helper()
	c, err := s.FindClient(t.Context(), tenant, id)
	if err != nil {
		t.Fatalf("FindClient(%q, %q): %v", tenant, id, err)
	}
	return c
}

// putClient puts c, failing t on error.
func putClient(t *testing.T, s userport.Store, c *userport.Client) {
	t.Helper()
	if err := s.PutClient(t.Context(), c); err != nil {
		t.Fatalf("PutClient: %v", err)
	}
}

// wantClients fails t unless tenant has n clients.
func wantClients(t *testing.T, s userport.Store, tenant string, n int) {
	t.Helper()
	got, err := s.CountClients(t.Context(), tenant)
	if err != nil || got != n {
		t.Errorf("CountClients(%q) = %d, %v; want %d", tenant, got, err, n)
	}
}

func testClients(t *testing.T, s userport.Store) {
	c := &userport.Client{
		Tenant: "a", ID: "client-1", Name: "CLI", SecretHash: "hash-1",
		Scopes: []string{"read:users", "create:users", "read:connections"}, CreatedAt: baseTime,
	}
	putClient(t, s, c)
	checkClient(t, findClient(t, s, "a", c.ID), c)
	wantClients(t, s, "a", 1)

	replaced := *c
	replaced.Name, replaced.SecretHash, replaced.Scopes = "CLI v2", "hash-2", []string{"read:users"}
	putClient(t, s, &replaced)
	checkClient(t, findClient(t, s, "a", c.ID), &replaced)
	wantClients(t, s, "a", 1)

	none := &userport.Client{Tenant: "a", ID: "client-2", Name: "No scopes", SecretHash: "hash-3", CreatedAt: baseTime}
	putClient(t, s, none)
	if got := findClient(t, s, "a", none.ID); len(got.Scopes) != 0 {
		t.Errorf("Scopes = %q, want none", got.Scopes)
	}
	wantClients(t, s, "a", 2)
	wantClients(t, s, "b", 0)

	_, err := s.FindClient(t.Context(), "a", "client-3")
	wantError(t, err, userport.ENOTFOUND, "", "")
	_, err = s.FindClient(t.Context(), "b", c.ID)
	wantError(t, err, userport.ENOTFOUND, "", "")
}
