package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/userport/userport"
)

// newConnection returns connection n of tenant, named "conn-n".
func newConnection(tenant string, n int) *userport.Connection {
	return &userport.Connection{
		Tenant: tenant, ID: connID(n), Name: fmt.Sprintf("conn-%d", n), Strategy: "auth0",
		CreatedAt: baseTime.Add(time.Duration(n) * time.Hour),
	}
}

// checkConnection fails t unless got holds what want held when stored.
func checkConnection(t *testing.T, got, want *userport.Connection) {
	t.Helper()
	field(t, "Tenant", got.Tenant, want.Tenant)
	field(t, "ID", got.ID, want.ID)
	field(t, "Name", got.Name, want.Name)
	field(t, "Strategy", got.Strategy, want.Strategy)
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
}

// createConnections creates cs, failing t on error.
func createConnections(t *testing.T, s userport.Store, cs ...*userport.Connection) {
	t.Helper()
	for _, c := range cs {
		if err := s.CreateConnection(t.Context(), c); err != nil {
			t.Fatalf("CreateConnection(%s): %v", c.Name, err)
		}
	}
}

func testConnectionRoundTrip(t *testing.T, s userport.Store) {
	ctx := t.Context()
	c := newConnection("a", 1)
	c.Name = userport.DefaultConnectionName
	createConnections(t, s, c)
	got, err := s.FindConnection(ctx, "a", c.ID)
	if err != nil {
		t.Fatalf("FindConnection: %v", err)
	}
	checkConnection(t, got, c)
	if got, err = s.FindConnectionByName(ctx, "a", c.Name); err != nil {
		t.Fatalf("FindConnectionByName: %v", err)
	}
	checkConnection(t, got, c)

	const msg = "The connection does not exist."
	_, err = s.FindConnection(ctx, "a", connID(2))
	wantError(t, err, userport.ENOTFOUND, "inexistent_connection", msg)
	_, err = s.FindConnectionByName(ctx, "a", "nope")
	wantError(t, err, userport.ENOTFOUND, "inexistent_connection", msg)
	_, err = s.FindConnection(ctx, "b", c.ID)
	wantError(t, err, userport.ENOTFOUND, "inexistent_connection", msg)
	_, err = s.FindConnectionByName(ctx, "b", c.Name)
	wantError(t, err, userport.ENOTFOUND, "inexistent_connection", msg)
}

func testConnectionConflicts(t *testing.T, s userport.Store) {
	ctx := t.Context()
	c := newConnection("a", 1)
	createConnections(t, s, c)

	sameName := newConnection("a", 2)
	sameName.Name = c.Name
	wantError(t, s.CreateConnection(ctx, sameName), userport.ECONFLICT, "connection_conflicts",
		"A connection with the same name already exists")
	sameID := newConnection("a", 1)
	sameID.Name = "another"
	if code := userport.ErrorCode(s.CreateConnection(ctx, sameID)); code != userport.ECONFLICT {
		t.Errorf("CreateConnection with a taken id: code %q, want %q", code, userport.ECONFLICT)
	}
	_, total, err := s.ListConnections(ctx, userport.ConnectionFilter{Tenant: "a", Limit: 10})
	if err != nil || total != 1 {
		t.Errorf("ListConnections total = %d, %v; want 1", total, err)
	}
	createConnections(t, s, newConnection("b", 1)) // same id and name, other tenant
}

func testListConnectionsOffset(t *testing.T, s userport.Store) {
	var all []*userport.Connection
	for _, n := range []int{5, 2, 7, 1, 4, 6, 3} {
		createConnections(t, s, newConnection("a", n))
	}
	for n := 1; n <= 7; n++ {
		all = append(all, newConnection("a", n))
	}
	createConnections(t, s, newConnection("b", 8))
	tests := []struct {
		tenant, name  string
		offset, limit int
		want          []*userport.Connection
		total         int
	}{
		{"a", "", 0, 3, all[0:3], 7},
		{"a", "", 3, 3, all[3:6], 7},
		{"a", "", 6, 3, all[6:], 7},
		{"a", "", 9, 3, nil, 7},
		{"a", "conn-4", 0, 10, all[3:4], 1},
		{"a", "conn-9", 0, 10, nil, 0},
		{"a", "conn-8", 0, 10, nil, 0},
		{"c", "", 0, 10, nil, 0},
	}
	for _, tt := range tests {
		f := userport.ConnectionFilter{Tenant: tt.tenant, Name: tt.name, Offset: tt.offset, Limit: tt.limit}
		got, total, err := s.ListConnections(t.Context(), f)
		if err != nil {
			t.Fatalf("ListConnections(%+v): %v", f, err)
		}
		if total != tt.total {
			t.Errorf("ListConnections(%+v) total = %d, want %d", f, total, tt.total)
		}
		wantConnections(t, got, tt.want)
	}
}

// wantConnections fails t unless got and want are the same connections in
// the same order.
func wantConnections(t *testing.T, got, want []*userport.Connection) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d connections %v, want %d", len(got), connectionIDs(got), len(want))
	}
	for i := range got {
		checkConnection(t, got[i], want[i])
	}
}

// connectionIDs returns the ids of cs.
func connectionIDs(cs []*userport.Connection) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

func testListConnectionsCheckpoint(t *testing.T, s userport.Store) {
	var want []string
	for _, n := range []int{5, 2, 7, 1, 4, 6, 3} {
		createConnections(t, s, newConnection("a", n))
	}
	for n := 1; n <= 7; n++ {
		want = append(want, connID(n))
	}
	createConnections(t, s, newConnection("b", 8))
	var got []string
	f := userport.ConnectionFilter{Tenant: "a", Limit: 3}
	for range 10 {
		page, total, err := s.ListConnections(t.Context(), f)
		if err != nil {
			t.Fatalf("ListConnections(%+v): %v", f, err)
		}
		if total != 7 {
			t.Errorf("ListConnections(%+v) total = %d, want 7", f, total)
		}
		got = append(got, connectionIDs(page)...)
		if len(page) < f.Limit {
			break
		}
		f.From, f.Offset = page[len(page)-1].ID, 100 // Offset is ignored with From
	}
	wantIDs(t, "checkpoint paged ids", got, want)

	f = userport.ConnectionFilter{Tenant: "a", Name: "conn-6", From: connID(5), Limit: 3}
	page, total, err := s.ListConnections(t.Context(), f)
	if err != nil || total != 1 {
		t.Fatalf("ListConnections(%+v) total = %d, %v; want 1", f, total, err)
	}
	wantIDs(t, "name after checkpoint", connectionIDs(page), []string{connID(6)})
}
