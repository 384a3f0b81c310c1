package testutil

import (
	"bytes"
	"compress/gzip"
	"slices"
	"testing"
)

func TestFiles(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("{\"b\":1,\"a\":{\"x\":2},\"pw\":3}\n{\"c\":true}\n"))
	zw.Close()
	if got := string(Gunzip(t, buf.Bytes())); got != "{\"b\":1,\"a\":{\"x\":2},\"pw\":3}\n{\"c\":true}\n" {
		t.Errorf("Gunzip = %q", got)
	}
	if got := JSONKeys(t, []byte(`{"b":1,"a":{"x":2},"c":[3]}`)); !slices.Equal(got, []string{"b", "a", "c"}) {
		t.Errorf("JSONKeys = %q", got)
	}
	l := NewUserLines(t, buf.Bytes())
	if u := l.Next("pw"); len(u) != 2 || u["b"] != 1.0 {
		t.Errorf("first user = %v", u)
	}
	if u := l.Next(); u["c"] != true {
		t.Errorf("second user = %v", u)
	}
	if u := l.Next(); u != nil || l.N != 2 {
		t.Errorf("after the end: %v, N %d", u, l.N)
	}
	if got := NDJSONIDs(t, []byte("{\"user_id\":\"a\",\"x\":1}\n{\"user_id\":\"b\"}\n")); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("NDJSONIDs = %q", got)
	}
}
