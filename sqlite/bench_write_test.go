package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/storetest"
)

// BenchmarkWrites runs storetest.BenchWrites on new files.
func BenchmarkWrites(b *testing.B) {
	storetest.BenchWrites(b, func(b *testing.B) userport.Store {
		db := open(b, filepath.Join(b.TempDir(), "bench.db"))
		b.Cleanup(func() { db.Close() })
		return db
	})
}
