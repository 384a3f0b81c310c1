package storetest

import (
	"fmt"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/jsonstrict"
)

// depthTests check that a store keeps every document the service's one
// JSON depth rule (jsonstrict.MaxDepth) lets through.
var depthTests = []struct {
	name string
	fn   func(t *testing.T, s userport.Store)
}{
	{"DeepestDocument", testDeepestDocument},
}

// deepDoc is user n's document with a last_login (which the stores index)
// and a user_metadata that makes the document depth levels deep.
func deepDoc(u *userport.User, depth int) []byte {
	return fmt.Appendf(nil, `{"user_id":%q,"email":%q,"last_login":"2024-01-02T03:04:05.000Z","user_metadata":%s}`,
		u.UserID, u.Email, testutil.Nested(depth-1)) // the document's own object is the first level
}

// testDeepestDocument writes documents jsonstrict.MaxDepth deep through
// create and update, and reads them back unchanged: the stores' own JSON
// limits (SQLite's 1000 levels, PostgreSQL's jsonb stack) lie above the rule.
func testDeepestDocument(t *testing.T, s userport.Store) {
	ctx := t.Context()
	u := newUser("a", connID(1), 1)
	u.Doc = deepDoc(u, jsonstrict.MaxDepth)
	if err := jsonstrict.Check(u.Doc); err != nil {
		t.Fatalf("the document breaks the rule: %v", err)
	}
	createUsers(t, s, u)
	other := newUser("a", connID(1), 2)
	createUsers(t, s, other)
	other.Doc = deepDoc(other, jsonstrict.MaxDepth)
	if err := s.UpdateUser(ctx, other); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	for _, want := range []*userport.User{u, other} {
		got, err := s.FindUser(ctx, "a", want.UserID)
		if err != nil {
			t.Fatalf("FindUser(%q): %v", want.UserID, err)
		}
		checkUser(t, got, want)
	}
}
