package testutil

import (
	"context"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/userport/userport"
)

// UserReader reads keyset pages of users; userport.UserStore is one.
type UserReader interface {
	ReadUsers(ctx context.Context, s userport.UserScan, p *userport.UserPage) error
}

// EachUser calls fn with the user_id and document of every user that s
// selects, in user_id order, reading pages of s.Limit users (1000 when 0).
// doc is only valid during the call.
func EachUser(t testing.TB, r UserReader, s userport.UserScan, fn func(id string, doc []byte)) {
	t.Helper()
	if s.Limit == 0 {
		s.Limit = 1000
	}
	var p userport.UserPage
	for {
		if err := r.ReadUsers(t.Context(), s, &p); err != nil {
			t.Fatalf("ReadUsers: %v", err)
		}
		for i := range p.Len() {
			fn(gjson.GetBytes(p.Doc(i), "user_id").Str, p.Doc(i))
		}
		if p.Len() < s.Limit {
			return
		}
		s.After = p.Last
	}
}
