package encode_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/encode"
)

// writerFunc is a small fake for a writer that fails on demand.
type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// closeRecorder is a writer that remembers whether it was closed.
type closeRecorder struct {
	bytes.Buffer
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

// allModes returns a fresh encoder of every kind over w.
func allModes(t *testing.T, w io.Writer) map[string]encode.Encoder {
	t.Helper()
	fields := []userport.Field{{Name: "user_id"}, {Name: "user_metadata.note"}}
	modes := map[string]encode.Encoder{}
	for name, mk := range map[string]func() (encode.Encoder, error){
		"csv":         func() (encode.Encoder, error) { return encode.New(w, userport.FormatCSV, fields) },
		"ndjson":      func() (encode.Encoder, error) { return encode.New(w, userport.FormatJSON, fields) },
		"ndjson-all":  func() (encode.Encoder, error) { return encode.New(w, userport.FormatJSON, nil) },
		"csv-default": func() (encode.Encoder, error) { return encode.New(w, userport.FormatCSV, nil) },
	} {
		enc, err := mk()
		if err != nil {
			t.Fatal(err)
		}
		modes[name] = enc
	}
	return modes
}

// bigDoc is a profile of about 1 KB.
func bigDoc(i int) []byte {
	return fmt.Appendf(nil, `{"user_id":"auth0|%024d","user_metadata":{"note":"%0900d"}}`, i, i)
}

func TestWriteErrorIsSticky(t *testing.T) {
	boom := errors.New("disk full")
	for name := range allModes(t, io.Discard) {
		writes := 0
		w := writerFunc(func(p []byte) (int, error) { writes++; return 0, boom })
		enc := allModes(t, w)[name]
		var err error
		n := 0
		for ; n < 10000 && err == nil; n++ {
			err = enc.Encode(bigDoc(n))
		}
		if !errors.Is(err, boom) {
			t.Fatalf("%s: Encode never failed after %d users: %v", name, n, err)
		}
		if err := enc.Encode(bigDoc(0)); !errors.Is(err, boom) {
			t.Errorf("%s: Encode after a write error = %v, want it again", name, err)
		}
		if err := enc.Close(); !errors.Is(err, boom) {
			t.Errorf("%s: Close = %v, want the write error", name, err)
		}
		if writes != 1 {
			t.Errorf("%s: %d writes after the error, want 1", name, writes)
		}
	}
}

func TestShortWrite(t *testing.T) {
	w := writerFunc(func(p []byte) (int, error) { return len(p) / 2, nil })
	for name, enc := range allModes(t, w) {
		if err := enc.Encode(bigDoc(1)); err != nil {
			t.Fatal(err)
		}
		if err := enc.Close(); !errors.Is(err, io.ErrShortWrite) {
			t.Errorf("%s: Close = %v, want io.ErrShortWrite", name, err)
		}
	}
}

func TestCloseFlushesButDoesNotClose(t *testing.T) {
	for name := range allModes(t, io.Discard) {
		var w closeRecorder
		enc := allModes(t, &w)[name]
		if err := enc.Encode(bigDoc(7)); err != nil {
			t.Fatal(err)
		}
		if w.Len() != 0 {
			t.Errorf("%s: wrote %d bytes before the buffer filled", name, w.Len())
		}
		if err := enc.Close(); err != nil {
			t.Fatal(err)
		}
		if w.Len() == 0 || w.closed {
			t.Errorf("%s: after Close, %d bytes written, writer closed %v", name, w.Len(), w.closed)
		}
		if err := enc.Close(); err != nil {
			t.Errorf("%s: second Close = %v", name, err)
		}
		if err := enc.Encode(bigDoc(8)); !errors.Is(err, encode.ErrClosed) {
			t.Errorf("%s: Encode after Close = %v, want ErrClosed", name, err)
		}
	}
}

// TestLargeOutput writes well past the buffer and checks that every user
// arrives, in order.
func TestLargeOutput(t *testing.T) {
	const users = 500
	var all, want bytes.Buffer
	enc := encode.NewNDJSONAll(&all)
	for i := range users {
		doc := bigDoc(i)
		want.Write(doc)
		want.WriteByte('\n')
		if err := enc.Encode(doc); err != nil {
			t.Fatal(err)
		}
	}
	if all.Len() == 0 {
		t.Errorf("nothing written before Close with %d bytes encoded", want.Len())
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(all.Bytes(), want.Bytes()) {
		t.Errorf("output differs from the input documents")
	}
}

func TestNoAllocations(t *testing.T) {
	users := testUsers(t)
	for name, enc := range allModes(t, io.Discard) {
		if name == "csv-default" {
			continue
		}
		i := 0
		allocs := testing.AllocsPerRun(2000, func() {
			if err := enc.Encode(users[i%len(users)]); err != nil {
				t.Fatal(err)
			}
			i++
		})
		if allocs != 0 {
			t.Errorf("%s: %.2f allocations per user, want 0", name, allocs)
		}
	}
	enc, err := encode.NewCSV(io.Discard, customFields)
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	allocs := testing.AllocsPerRun(2000, func() {
		if err := enc.Encode(users[i%len(users)]); err != nil {
			t.Fatal(err)
		}
		i++
	})
	if allocs != 0 {
		t.Errorf("CSV with objects and escapes: %.2f allocations per user, want 0", allocs)
	}
}
