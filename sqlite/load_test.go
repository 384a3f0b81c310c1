package sqlite_test

import (
	"context"
	"fmt"
	"iter"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/sqlite"
)

// loadUser returns user n of connection "con_load", email and username from n.
func loadUser(n int) *userport.User {
	id := fmt.Sprintf("auth0|%024d", n)
	email := fmt.Sprintf("user%d@example.com", n)
	return &userport.User{Tenant: "dev", UserID: id, ConnectionID: "con_load", Email: email,
		Username: fmt.Sprintf("user_%d", n), CreatedAt: time.Unix(1700000000, 0).UTC(),
		Doc: []byte(fmt.Sprintf(`{"user_id":%q,"email":%q}`, id, email))}
}

// batchesOf yields users in batches of size.
func batchesOf(users []*userport.User, size int) iter.Seq[[]*userport.User] {
	return func(yield func([]*userport.User) bool) {
		for b := range slices.Chunk(users, size) {
			if !yield(b) {
				return
			}
		}
	}
}

// usersN returns users first..last.
func usersN(first, last int) []*userport.User {
	var users []*userport.User
	for i := first; i <= last; i++ {
		users = append(users, loadUser(i))
	}
	return users
}

// indexSQL returns the definitions of the users table's indexes.
func indexSQL(t *testing.T, db *sqlite.DB) []string {
	t.Helper()
	rows, err := db.SQL().QueryContext(t.Context(), `SELECT name || ': ' || sql FROM sqlite_schema
		WHERE type = 'index' AND tbl_name = 'users' AND sql IS NOT NULL ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if len(out) < 3 {
		t.Fatalf("users has %d indexes, want the email, username and connection ones: %q", len(out), out)
	}
	return out
}

func countAll(t *testing.T, db *sqlite.DB) int64 {
	t.Helper()
	n, err := db.CountUsers(t.Context(), "dev", "")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLoadUsers(t *testing.T) {
	tests := []struct {
		name     string
		stored   []*userport.User // before the load
		load     []*userport.User
		cancel   bool
		wantErr  string // an error code, "canceled", or "" for none
		wantUsed int64  // users stored after
	}{
		{"into an empty store", nil, usersN(1, 250), false, "", 250},
		{"more than stored", usersN(1, 10), usersN(11, 100), false, "", 100},
		{"fewer than stored, batch by batch", usersN(1, 100), usersN(101, 110), false, "", 110},
		{"an email taken within the load", nil, append(usersN(1, 50), withID(loadUser(7), 999)), false, userport.ECONFLICT, 0},
		{"an email taken by a stored user", usersN(1, 3), append(usersN(4, 50), withID(loadUser(2), 998)), false, userport.ECONFLICT, 3},
		{"a user_id taken", usersN(1, 3), append(usersN(4, 50), loadUser(1)), false, userport.ECONFLICT, 3},
		{"cancelled", nil, usersN(1, 50), true, "canceled", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := open(t, filepath.Join(t.TempDir(), "load.db"))
			defer db.Close()
			before := indexSQL(t, db)
			if len(tt.stored) > 0 {
				if err := db.CreateUsers(t.Context(), tt.stored...); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tt.cancel {
				cancel()
			}
			err := db.LoadUsers(ctx, len(tt.load), batchesOf(tt.load, 20))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("LoadUsers: %v", err)
			case tt.wantErr == "canceled" && ctx.Err() != nil && err == nil:
				t.Fatal("LoadUsers with a cancelled context: no error")
			case tt.wantErr != "" && tt.wantErr != "canceled" && userport.ErrorCode(err) != tt.wantErr:
				t.Fatalf("LoadUsers error = %v, want code %s", err, tt.wantErr)
			}
			if got := countAll(t, db); got != tt.wantUsed {
				t.Errorf("%d users stored after the load, want %d", got, tt.wantUsed)
			}
			if after := indexSQL(t, db); !slices.Equal(after, before) {
				t.Errorf("indexes after the load:\n%q\nwant\n%q", after, before)
			}
			// The unique indexes are in force again.
			dup := withID(loadUser(1), 997)
			if err := db.CreateUsers(t.Context(), dup); tt.wantUsed > 0 && userport.ErrorCode(err) != userport.ECONFLICT {
				t.Errorf("CreateUsers of a taken email after the load = %v, want ECONFLICT", err)
			}
		})
	}
}

// withID returns u under another user_id, with the same email and username.
func withID(u *userport.User, n int) *userport.User {
	c := *u
	c.UserID = fmt.Sprintf("auth0|%024d", n)
	c.Doc = []byte(fmt.Sprintf(`{"user_id":%q,"email":%q}`, c.UserID, c.Email))
	return &c
}
