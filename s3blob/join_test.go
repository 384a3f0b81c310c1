package s3blob

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// TestJoinCopiesLargeParts checks that Join reads back no byte of a part of
// MinPartSize or more (S3 copies it), and at most MinPartSize bytes for each
// smaller part: the small part itself and the start of the part after it.
func TestJoinCopiesLargeParts(t *testing.T) {
	s, _, _ := openTest(t, Options{})
	var read int64
	s.joinRead = func(n int64) { read += n }
	ctx := context.Background()
	const mib = 1 << 20
	for _, tt := range []struct {
		sizes   []int
		maxRead int64
	}{
		{[]int{MinPartSize, 6 * mib, 3}, 0},             // every part copied; the last may be small
		{[]int{6 * mib, 100, 7 * mib}, MinPartSize},     // the small part and 5 MiB less 100 bytes of the next
		{[]int{10, 20, 30}, 60},                         // all small: read, sent as one part
		{[]int{2 * mib, 2 * mib, 6 * mib}, MinPartSize}, // two small parts fill one part with the next's start
	} {
		read = 0
		var keys []string
		var want []byte
		for i, n := range tt.sizes {
			key := fmt.Sprintf("job_copy/parts/%d", i)
			b := bytes.Repeat([]byte{byte('a' + i)}, n)
			w, err := s.Create(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write(b); err != nil {
				t.Fatal(err)
			}
			if err := w.Commit(); err != nil {
				t.Fatal(err)
			}
			keys, want = append(keys, key), append(want, b...)
		}
		if _, err := s.Join(ctx, "job_copy/joined", keys); err != nil {
			t.Fatalf("Join(%v): %v", tt.sizes, err)
		}
		r, err := s.Open(ctx, "job_copy/joined")
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		_, err = got.ReadFrom(r)
		r.Close()
		if err != nil || !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("Join(%v): %d bytes (%v), want the %d of the parts", tt.sizes, got.Len(), err, len(want))
		}
		if read > tt.maxRead {
			t.Errorf("Join(%v) read back %d bytes, want at most %d", tt.sizes, read, tt.maxRead)
		}
	}
}
