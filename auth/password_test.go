package auth_test

import (
	"testing"

	"github.com/userport/userport/auth"
)

// BenchmarkHashPassword measures bcrypt at the cost every new user's
// password pays (10): the floor of POST /api/v2/users's latency.
func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := auth.HashPassword("Load-test-9-1"); err != nil {
			b.Fatal(err)
		}
	}
}
