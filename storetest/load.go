package storetest

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"testing"

	"github.com/userport/userport"
)

// loadTenant and loadConn hold the users of the bulk load tests;
// otherTenant's are there to be counted.
const (
	loadTenant  = "dev"
	otherTenant = "other"
	loadConn    = "con_load"
)

// loadUser returns user n of loadTenant's loadConn, email and username from n.
func loadUser(n int) *userport.User {
	id := userID(n)
	email := fmt.Sprintf("user%d@example.com", n)
	return &userport.User{Tenant: loadTenant, UserID: id, ConnectionID: loadConn, Email: email,
		Username: fmt.Sprintf("user_%d", n), CreatedAt: baseTime,
		Doc: []byte(fmt.Sprintf(`{"user_id":%q,"email":%q,"last_login":"2024-01-%02dT00:00:00.000Z"}`, id, email, n%28+1))}
}

// loadUsers returns users first..last of loadUser.
func loadUsers(first, last int) []*userport.User {
	var users []*userport.User
	for i := first; i <= last; i++ {
		users = append(users, loadUser(i))
	}
	return users
}

// withID returns u under user_id n, with the same email and username.
func withID(u *userport.User, n int) *userport.User {
	c := *u
	c.UserID = userID(n)
	c.Doc = []byte(fmt.Sprintf(`{"user_id":%q,"email":%q}`, c.UserID, c.Email))
	return &c
}

// withUsername returns u under user_id n with another email: only its
// username is u's.
func withUsername(u *userport.User, n int) *userport.User {
	c := withID(u, n)
	c.Email = fmt.Sprintf("other%d@example.com", n)
	return c
}

// inTenant returns users moved to tenant.
func inTenant(tenant string, users []*userport.User) []*userport.User {
	out := make([]*userport.User, len(users))
	for i, u := range users {
		c := *u
		c.Tenant = tenant
		out[i] = &c
	}
	return out
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

// testLoadUsers runs the cases of a store's bulk load (userport.UserLoader),
// each on a new store: a load as large as the users table, of all tenants,
// is all or nothing; a smaller one goes batch by batch (a conflict in a later
// batch keeps the earlier ones). The users table's indexes are the same after
// the load, the unique ones in force.
func testLoadUsers(t *testing.T, open func(t *testing.T) userport.Store, opts Options) {
	tests := []struct {
		name     string
		stored   []*userport.User // before the load
		load     []*userport.User // in batches of 20
		cancel   bool
		wantErr  string // an error code, "canceled", or "" for none
		wantUsed int64  // users stored after, of both tenants
	}{
		{"into an empty store", nil, loadUsers(1, 250), false, "", 250},
		{"more than stored", loadUsers(1, 10), loadUsers(11, 100), false, "", 100},
		{"fewer than stored, batch by batch", loadUsers(1, 100), loadUsers(101, 110), false, "", 110},
		{"fewer than stored, a conflict in the third batch keeps two",
			loadUsers(1, 100), append(loadUsers(101, 150), withID(loadUser(2), 999)), false, userport.ECONFLICT, 140},
		{"fewer than stored in another tenant, batch by batch",
			inTenant(otherTenant, loadUsers(1, 100)), append(loadUsers(101, 150), withID(loadUser(101), 999)), false, userport.ECONFLICT, 140},
		{"an email taken within the load", nil, append(loadUsers(1, 50), withID(loadUser(7), 999)), false, userport.ECONFLICT, 0},
		{"an email taken by a stored user", loadUsers(1, 3), append(loadUsers(4, 50), withID(loadUser(2), 998)), false, userport.ECONFLICT, 3},
		{"a username taken by a stored user", loadUsers(1, 3), append(loadUsers(4, 50), withUsername(loadUser(2), 998)), false, userport.ECONFLICT, 3},
		{"a user_id taken", loadUsers(1, 3), append(loadUsers(4, 50), loadUser(1)), false, userport.ECONFLICT, 3},
		{"cancelled", nil, loadUsers(1, 50), true, "canceled", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, open)
			l, ok := s.(userport.UserLoader)
			if !ok {
				t.Skip("the store has no bulk load (userport.UserLoader)")
			}
			if opts.UserIndexes == nil {
				t.Fatal("the store is a userport.UserLoader: Options.UserIndexes must list the users table's indexes")
			}
			before := userIndexes(t, s, opts)
			if len(tt.stored) > 0 {
				createUsers(t, s, tt.stored...)
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tt.cancel {
				cancel()
			}
			err := l.LoadUsers(ctx, len(tt.load), batchesOf(tt.load, 20))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("LoadUsers: %v", err)
			case tt.wantErr == "canceled" && err == nil:
				t.Fatal("LoadUsers with a cancelled context: no error")
			case tt.wantErr != "" && tt.wantErr != "canceled" && userport.ErrorCode(err) != tt.wantErr:
				t.Fatalf("LoadUsers error = %v, want code %s", err, tt.wantErr)
			}
			got := countUsers(t, s, loadTenant, "") + countUsers(t, s, otherTenant, "")
			if got != tt.wantUsed {
				t.Errorf("%d users stored after the load, want %d", got, tt.wantUsed)
			}
			if after := userIndexes(t, s, opts); !slices.Equal(after, before) {
				t.Errorf("indexes after the load:\n%q\nwant\n%q", after, before)
			}
			if tt.wantErr == "" {
				last := tt.load[len(tt.load)-1]
				u, err := s.FindUser(t.Context(), last.Tenant, last.UserID)
				if err != nil {
					t.Fatalf("FindUser of the last user loaded: %v", err)
				}
				checkUser(t, u, last)
			}
			if tt.wantUsed > 0 {
				checkUniqueAfterLoad(t, s, slices.Concat(tt.stored, tt.load)[0])
			}
		})
	}
}

// userIndexes returns opts.UserIndexes, which must list at least the email,
// username and connection indexes.
func userIndexes(t *testing.T, s userport.Store, opts Options) []string {
	t.Helper()
	ixs := opts.UserIndexes(t, s)
	if len(ixs) < 3 {
		t.Fatalf("users has %d indexes, want the email, username and connection ones at least: %q", len(ixs), ixs)
	}
	return ixs
}

// checkUniqueAfterLoad fails t unless the unique email and username indexes
// are in force after a load: stored is a user the store holds.
func checkUniqueAfterLoad(t *testing.T, s userport.Store, stored *userport.User) {
	t.Helper()
	for _, dup := range []*userport.User{withID(stored, 997), withUsername(stored, 996)} {
		if err := s.CreateUsers(t.Context(), dup); userport.ErrorCode(err) != userport.ECONFLICT {
			t.Errorf("CreateUsers of %s, email %s, username %s after the load = %v, want ECONFLICT",
				dup.UserID, dup.Email, dup.Username, err)
		}
	}
}
