package importer_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/userport/userport/importer"
)

// BenchmarkReader reads the records of a gzip'd NDJSON file of 100,000 seeded
// users (what an export writes) with the Reader alone; bytes are the file's.
func BenchmarkReader(b *testing.B) {
	file := seedFile(b, 100000)
	b.SetBytes(int64(len(file)))
	for b.Loop() {
		r, err := importer.NewReader(bytes.NewReader(file))
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := r.Next(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}
