package countio_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/userport/userport/internal/countio"
)

// short takes at most max bytes, then fails.
type short struct{ max int }

func (s *short) Write(p []byte) (int, error) {
	if len(p) > s.max {
		n := s.max
		s.max = 0
		return n, errors.New("full")
	}
	s.max -= len(p)
	return len(p), nil
}

func TestWriterCountsWhatItsWriterTook(t *testing.T) {
	var buf bytes.Buffer
	w := &countio.Writer{W: &buf}
	w.Write([]byte("abc"))
	w.Write([]byte("de"))
	if w.N != 5 || buf.String() != "abcde" {
		t.Errorf("N = %d, buffer %q; want 5 and abcde", w.N, buf.String())
	}
	f := &countio.Writer{W: &short{max: 4}}
	if _, err := f.Write([]byte("abcdef")); err == nil || f.N != 4 {
		t.Errorf("a writer that took 4 of 6 bytes: N = %d, err %v; want 4 and its error", f.N, err)
	}
}
