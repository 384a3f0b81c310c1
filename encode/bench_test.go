package encode_test

import (
	"fmt"
	"io"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/userport/userport"
	"github.com/userport/userport/encode"
)

// profile returns a realistic stored profile of about 1 KB, different for each i.
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

func fieldList(names ...string) []userport.Field {
	fields := make([]userport.Field, len(names))
	for i, n := range names {
		fields[i].Name = n
	}
	return fields
}

var (
	csv5       = fieldList("user_id", "email", "name", "identities[0].connection", "created_at")
	jsonFields = append(fieldList("user_id", "email", "name", "user_metadata.consent.given",
		"user_metadata.consent.date", "identities[0].connection", "created_at"),
		userport.Field{Name: "app_metadata.plan", ExportAs: "plan"})
)

func BenchmarkCSV5(b *testing.B) { benchEncode(b, userport.FormatCSV, csv5) }

func BenchmarkCSVDefault(b *testing.B) { benchEncode(b, userport.FormatCSV, nil) }

func BenchmarkNDJSONAll(b *testing.B) { benchEncode(b, userport.FormatJSON, nil) }

func BenchmarkNDJSONFields(b *testing.B) { benchEncode(b, userport.FormatJSON, jsonFields) }

// benchEncode encodes ~1 KB profiles to io.Discard, then through gzip at two
// levels (klauspost/compress, as the export pipeline would use it).
func benchEncode(b *testing.B, format userport.Format, fields []userport.Field) {
	docs := make([][]byte, 1024)
	for i := range docs {
		docs[i] = profile(i)
	}
	for _, level := range []int{-100, gzip.BestSpeed, gzip.DefaultCompression} {
		name := map[int]string{-100: "plain", gzip.BestSpeed: "gzip1", gzip.DefaultCompression: "gzip"}[level]
		b.Run(name, func(b *testing.B) {
			var w io.Writer = io.Discard
			counter := &countWriter{w: io.Discard}
			if level != -100 {
				zw, err := gzip.NewWriterLevel(counter, level)
				if err != nil {
					b.Fatal(err)
				}
				w = zw
			}
			enc, err := encode.New(w, format, fields)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if err := enc.Encode(docs[i%len(docs)]); err != nil {
					b.Fatal(err)
				}
			}
			if err := enc.Close(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "users/s")
			if level != -100 {
				b.ReportMetric(float64(counter.n)/float64(b.N), "gzB/user")
			}
		})
	}
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.w.Write(p)
}
