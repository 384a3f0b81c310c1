package encode_test

import (
	"github.com/userport/userport/internal/testutil"
	"io"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/userport/userport"
	"github.com/userport/userport/encode"
)

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
		docs[i] = testutil.Profile(i)
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

// BenchmarkParquetDefault encodes ~1 KB profiles (1,024 distinct ones, so
// zstd sees some repetition a real tenant would not have) as Parquet.
func BenchmarkParquetDefault(b *testing.B) { benchParquet(b, nil) }

func BenchmarkParquetCSV5(b *testing.B) { benchParquet(b, csv5) }

func benchParquet(b *testing.B, fields []userport.Field) {
	docs := make([][]byte, 1<<16)
	for i := range docs {
		docs[i] = testutil.Profile(i)
	}
	counter := &countWriter{w: io.Discard}
	enc, err := encode.New(counter, userport.FormatParquet, fields)
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
	b.ReportMetric(float64(counter.n)/float64(b.N), "B/user")
}
