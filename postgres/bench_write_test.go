package postgres_test

import (
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/postgres"
	"github.com/userport/userport/storetest"
)

// BenchmarkWrites runs storetest.BenchWrites in new schemas.
func BenchmarkWrites(b *testing.B) {
	storetest.BenchWrites(b, func(b *testing.B) userport.Store { return open(b, postgres.Options{}) })
}
