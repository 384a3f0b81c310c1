package fieldpath_test

import (
	"github.com/userport/userport/internal/testutil"
	"testing"

	"github.com/buger/jsonparser"
	"github.com/userport/userport/fieldpath"
)

func profiles(n int) [][]byte {
	docs := make([][]byte, n)
	for i := range docs {
		docs[i] = testutil.Profile(i)
	}
	return docs
}

var fiveFields = []string{"user_id", "email", "name", "identities[0].connection", "created_at"}

// BenchmarkLookup5 resolves 5 fields over ~900-byte profiles.
func BenchmarkLookup5(b *testing.B) {
	docs := profiles(1024)
	b.Logf("profile size: %d bytes", len(docs[0]))
	var paths []fieldpath.Path
	for _, f := range fiveFields {
		paths = append(paths, fieldpath.MustParse(f))
	}
	b.Run("Resolver", func(b *testing.B) {
		r := fieldpath.NewResolver(paths...)
		out := make([]fieldpath.Value, r.Len())
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if err := r.Resolve(docs[i%len(docs)], out); err != nil || out[4].Type != fieldpath.String {
				b.Fatalf("Resolve: %v, %v", err, out[4].Type)
			}
		}
		reportUsers(b)
	})
	b.Run("Lookup", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			for _, p := range paths {
				if _, _, ok := p.Lookup(docs[i%len(docs)]); !ok {
					b.Fatalf("Lookup(%s) failed", p)
				}
			}
		}
		reportUsers(b)
	})
	b.Run("jsonparser.EachKey", func(b *testing.B) {
		keys := [][]string{{"user_id"}, {"email"}, {"name"}, {"identities", "[0]", "connection"}, {"created_at"}}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			n := 0
			jsonparser.EachKey(docs[i%len(docs)], func(int, []byte, jsonparser.ValueType, error) { n++ }, keys...)
			if n != 5 {
				b.Fatalf("EachKey found %d", n)
			}
		}
		reportUsers(b)
	})
}

func reportUsers(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "users/s")
}
