package testutil

import (
	"testing"

	"github.com/userport/userport"
)

func TestSeed(t *testing.T) {
	e := NewEmbedded(t)
	Seed(t, e.Store, "dev", e.Conn, 2500)
	n := 0
	EachUser(t, e.Store, userport.UserScan{Tenant: "dev"}, func(string, []byte) { n++ })
	if n != 2500 {
		t.Errorf("%d users, want 2500", n)
	}
}
