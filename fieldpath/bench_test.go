package fieldpath_test

import (
	"fmt"
	"testing"

	"github.com/buger/jsonparser"
	"github.com/userport/userport/fieldpath"
)

// profile returns a realistic stored profile of about 900 bytes, different for
// each i.
func profile(i int) []byte {
	return fmt.Appendf(nil, `{"user_id":"auth0|5f1c2e3d4b5a6978%08x","email":"user%06d@example.com","email_verified":true,`+
		`"username":"user%06d","phone_number":"+1415555%04d","phone_verified":false,"name":"Ann Lee %06d",`+
		`"given_name":"Ann","family_name":"Lee","nickname":"annlee%d",`+
		`"picture":"https://s.gravatar.com/avatar/0c5a0e1c1fa9d0a9f0b2b6b3c6a9b1b2?s=480&r=pg&d=https%%3A%%2F%%2Fcdn.auth0.com%%2Favatars%%2Fan.png",`+
		`"identities":[{"connection":"Username-Password-Authentication","provider":"auth0","user_id":"5f1c2e3d4b5a6978%08x","isSocial":false}],`+
		`"user_metadata":{"consent":{"given":true,"date":"2020-01-01","text_details":"https://example.com/privacy/v3"},`+
		`"preferences":{"language":"en","newsletter":false,"theme":"dark"},"address":{"city":"Z\u00fcrich","country":"CH"}},`+
		`"app_metadata":{"roles":["user","beta"],"plan":"pro","stripe":[{"customer_id":"cus_Abc%06d"}]},"blocked":false,`+
		`"created_at":"2017-11-02T23:34:03.803Z","updated_at":"2021-03-04T05:06:07.089Z","last_login":"2021-03-04T05:06:07.089Z",`+
		`"last_password_reset":"2020-06-07T08:09:10.111Z","last_ip":"203.0.113.%d","logins_count":%d}`,
		i, i, i, i%10000, i, i, i, i, i%256, i%1000)
}

func profiles(n int) [][]byte {
	docs := make([][]byte, n)
	for i := range docs {
		docs[i] = profile(i)
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
