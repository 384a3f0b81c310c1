package storetest

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/userport/userport"
)

// readPage reads one keyset page into p, failing t on error, and returns the
// user_id of each document in order.
func readPage(t *testing.T, s userport.Store, sc userport.UserScan, p *userport.UserPage) []string {
	t.Helper()
	if err := s.ReadUsers(t.Context(), sc, p); err != nil {
		t.Fatalf("ReadUsers(%+v): %v", sc, err)
	}
	ids := make([]string, p.Len())
	for i := range ids {
		var doc struct {
			UserID string `json:"user_id"`
		}
		if err := json.Unmarshal(p.Doc(i), &doc); err != nil {
			t.Fatalf("document %d of the page: %v", i, err)
		}
		ids[i] = doc.UserID
	}
	return ids
}

func testReadUsers(t *testing.T, s userport.Store) {
	users := seedUsers(t, s, 25)
	tests := []struct {
		conn  string
		after int // user number to start after; 0 for the start
		limit int
	}{
		{"", 0, 100}, {"", 0, 10}, {"", 10, 10}, {"", 20, 10}, {"", 25, 10}, {"", 24, 1},
		{connID(1), 0, 5}, {connID(1), 9, 5}, {connID(2), 0, 100}, {connID(2), 11, 3}, {connID(3), 0, 10},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d/%d", tt.conn, tt.after, tt.limit), func(t *testing.T) {
			matching, after := users, ""
			if tt.conn != "" {
				matching = ofConnection(users, tt.conn)
			}
			if tt.after > 0 {
				after = userID(tt.after)
			}
			var want []*userport.User
			for _, u := range matching {
				if u.UserID > after && len(want) < tt.limit {
					want = append(want, u)
				}
			}
			var p userport.UserPage
			got := readPage(t, s, userport.UserScan{Tenant: "a", ConnectionID: tt.conn, After: after, Limit: tt.limit}, &p)
			wantIDs(t, "ids", got, userIDs(want))
			for i, u := range want {
				if i < p.Len() && string(p.Doc(i)) != string(u.Doc) {
					t.Errorf("doc %d = %s, want %s", i, p.Doc(i), u.Doc)
				}
			}
			wantLast := ""
			if len(want) > 0 {
				wantLast = want[len(want)-1].UserID
			}
			field(t, "Last", p.Last, wantLast)
		})
	}
}

// testReadUsersPaging pages through a tenant and a connection with one
// reused page, each page starting after the previous one's Last.
func testReadUsersPaging(t *testing.T, s userport.Store) {
	users := seedUsers(t, s, 57)
	var p userport.UserPage
	for _, conn := range []string{"", connID(1)} {
		want := users
		if conn != "" {
			want = ofConnection(users, conn)
		}
		var all []string
		sc := userport.UserScan{Tenant: "a", ConnectionID: conn, Limit: 7}
		for {
			all = append(all, readPage(t, s, sc, &p)...)
			if p.Len() < sc.Limit {
				break
			}
			sc.After = p.Last
		}
		wantIDs(t, "paged ids of "+conn, all, userIDs(want))
	}
}

// testReadUsersEmpty checks that a page is emptied, and that a bad limit is
// an error.
func testReadUsersEmpty(t *testing.T, s userport.Store) {
	seedUsers(t, s, 3)
	p := userport.UserPage{Docs: []byte(`{"x":1}`), Ends: []int{7}, Last: "auth0|x"}
	readPage(t, s, userport.UserScan{Tenant: "c", Limit: 10}, &p)
	if p.Len() != 0 || len(p.Docs) != 0 || p.Last != "" {
		t.Errorf("page of an empty tenant = %d docs (%q), Last %q; want none", p.Len(), p.Docs, p.Last)
	}
	readPage(t, s, userport.UserScan{Tenant: "a", After: userID(3), Limit: 10}, &p)
	if p.Len() != 0 || p.Last != "" {
		t.Errorf("page after the last user = %d docs, Last %q; want none", p.Len(), p.Last)
	}
	for _, limit := range []int{0, -1} {
		if err := s.ReadUsers(t.Context(), userport.UserScan{Tenant: "a", Limit: limit}, &p); err == nil {
			t.Errorf("ReadUsers with limit %d: no error", limit)
		}
	}
}
