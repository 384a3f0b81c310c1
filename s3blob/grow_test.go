package s3blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestPartSizeOf(t *testing.T) {
	const mib = 1 << 20
	s := &Store{partSize: MinPartSize, growth: partGrowth}
	for _, tt := range []struct{ n, want int }{
		{1, 5 * mib}, {1000, 5 * mib}, {1001, 10 * mib}, {2000, 10 * mib}, {2001, 15 * mib}, {10_000, 50 * mib},
	} {
		if got := s.partSizeOf(tt.n); got != tt.want {
			t.Errorf("part %d: %d bytes, want %d", tt.n, got, tt.want)
		}
	}
	var total int64
	for n := 1; n <= maxParts; n++ {
		total += int64(s.partSizeOf(n))
	}
	if want := int64(268) << 30; total < want {
		t.Errorf("10,000 parts hold %d bytes, want at least 268 GiB", total)
	}
	big := &Store{partSize: maxPartSize, growth: partGrowth}
	if got := big.partSizeOf(5000); got != maxPartSize {
		t.Errorf("part 5000 of 5 GiB parts: %d bytes, want S3's largest, %d", got, maxPartSize)
	}
}

// TestPartsGrow writes a blob whose parts grow every second part: 5, 5, 10
// and 10 MiB, then the rest; the object reads back whole.
func TestPartsGrow(t *testing.T) {
	s, c, bucket := openTest(t, Options{PartSize: MinPartSize})
	s.growth = 2
	ctx := context.Background()
	data := make([]byte, 30<<20+2<<20+100)
	_, _ = rand.Read(data)
	bw, err := s.Create(ctx, "exports/grow/dev.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	for chunk := range slices.Chunk(data, 256<<10) {
		if _, err := bw.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	w := bw.(*writer)
	if err := w.wait(); err != nil {
		t.Fatal(err)
	}
	if len(w.parts) != 4 || len(*w.buf) != 2<<20+100 {
		t.Fatalf("%d parts uploaded and %d bytes left, want 4 parts (5, 5, 10, 10 MiB) and %d bytes", len(w.parts), len(*w.buf), 2<<20+100)
	}
	if err := bw.Commit(); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &w.obj})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	got, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, not the %d written", len(got), len(data))
	}
}

// TestTooManyParts checks that a blob past S3's number of parts fails with a
// clear error and leaves no upload behind.
func TestTooManyParts(t *testing.T) {
	s, c, bucket := openTest(t, Options{PartSize: MinPartSize})
	s.maxParts = 2
	ctx := context.Background()
	bw, err := s.Create(ctx, "exports/toolarge/dev.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	_, err = bw.Write(make([]byte, 3*MinPartSize))
	if err == nil || !strings.Contains(err.Error(), "more than 2 parts") {
		t.Fatalf("writing 3 parts with a limit of 2: %v, want the blob too large", err)
	}
	if err := bw.Commit(); err == nil {
		t.Fatal("Commit after the failure: no error")
	}
	out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Uploads) != 0 {
		t.Errorf("%d multipart uploads left behind", len(out.Uploads))
	}
}
