package testutil

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"testing"
)

// Gunzip decompresses a whole gzip file, failing the test when it is not one.
func Gunzip(t testing.TB, data []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not gzip: %v (%d bytes, starting %q)", err, len(data), data[:min(len(data), 40)])
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return out
}

// JSONKeys returns the keys of a JSON object in the order they are written.
func JSONKeys(t testing.TB, body []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", body)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("keys of %s: %v", body, err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("keys of %s: %v", body, err)
		}
	}
	return keys
}

// UserLines reads the users of an NDJSON export file (gzip'd) one at a time:
// memory does not grow with the file.
type UserLines struct {
	t  testing.TB
	sc *bufio.Scanner
	// N is how many users Next has returned.
	N int
}

// NewUserLines starts reading the gzip'd NDJSON file.
func NewUserLines(t testing.TB, file []byte) *UserLines {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 1<<20)
	return &UserLines{t: t, sc: sc}
}

// Next returns the next user without the attributes in drop, or nil at the
// end.
func (l *UserLines) Next(drop ...string) map[string]any {
	l.t.Helper()
	if !l.sc.Scan() {
		if err := l.sc.Err(); err != nil {
			l.t.Fatal(err)
		}
		return nil
	}
	var u map[string]any
	if err := json.Unmarshal(l.sc.Bytes(), &u); err != nil {
		l.t.Fatalf("export line %q: %v", l.sc.Text(), err)
	}
	for _, k := range drop {
		delete(u, k)
	}
	l.N++
	return u
}

// NDJSONIDs returns the user_id of every line of an NDJSON export
// (gunzipped), failing the test at a line without one.
func NDJSONIDs(t testing.TB, data []byte) []string {
	t.Helper()
	var ids []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var u struct {
			UserID string `json:"user_id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &u); err != nil || u.UserID == "" {
			t.Fatalf("export line without a user_id (%v): %s", err, sc.Bytes())
		}
		ids = append(ids, u.UserID)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}
