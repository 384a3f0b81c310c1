package importer_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/importer"
)

// gz compresses s.
func gz(t testing.TB, s string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// readAll reads every record of file.
func readAll(t *testing.T, file string) (*importer.Reader, []string, error) {
	t.Helper()
	rd, err := importer.NewReader(strings.NewReader(file))
	if err != nil {
		return nil, nil, err
	}
	var got []string
	for {
		raw, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return rd, got, nil
		} else if err != nil {
			return rd, got, err
		}
		got = append(got, string(raw))
	}
}

func TestReaderFormats(t *testing.T) {
	ndjson := "{\"a\":1}\n{\"b\":[2]}\n\n{\"c\":\"x\\ny\"}\n"
	array := "[\n  {\"a\": 1},\n  {\"b\": [2]},\n  {\"c\": \"x\\ny\"}\n]\n"
	want := []string{`{"a":1}`, `{"b":[2]}`, `{"c":"x\ny"}`}
	wantArray := []string{`{"a": 1}`, `{"b": [2]}`, `{"c": "x\ny"}`}
	tests := []struct {
		name, file string
		format     importer.Format
		gzipped    bool
		want       []string
	}{
		{"ndjson", ndjson, importer.FormatNDJSON, false, want},
		{"ndjson without final newline", strings.TrimSuffix(ndjson, "\n"), importer.FormatNDJSON, false, want},
		{"ndjson gzip", gz(t, ndjson), importer.FormatNDJSON, true, want},
		{"ndjson CRLF and BOM", "\ufeff" + strings.ReplaceAll(ndjson, "\n", "\r\n"), importer.FormatNDJSON, false, want},
		{"array", array, importer.FormatArray, false, wantArray},
		{"array gzip", gz(t, array), importer.FormatArray, true, wantArray},
		{"array after white space", " \t\r\n" + array, importer.FormatArray, false, wantArray},
		{"empty array", "[]", importer.FormatArray, false, nil},
		{"array of other values", `[1, "x", null, {}]`, importer.FormatArray, false, []string{"1", `"x"`, "null", "{}"}},
		{"ndjson of other values", "{}\n1\n\"x\"\n", importer.FormatNDJSON, false, []string{"{}", "1", `"x"`}},
		{"brackets and quotes in strings", "{\"s\":\"a}]\\\"{[\\\\\"}\n[{\"t\":\"]\"}]\n", importer.FormatNDJSON, false,
			[]string{`{"s":"a}]\"{[\\"}`, `[{"t":"]"}]`}},
		{"array of scalars and nests", `[ 1 , "x\"]" , [1,[2]] , true,-2.5e3]`, importer.FormatArray, false,
			[]string{"1", `"x\"]"`, "[1,[2]]", "true", "-2.5e3"}},
		{"a record over the buffer", "{\"big\":\"" + strings.Repeat("x", 700_000) + "\"}\n{}", importer.FormatNDJSON, false,
			[]string{`{"big":"` + strings.Repeat("x", 700_000) + `"}`, "{}"}},
		{"ndjson pretty printed", "{\n \"a\": 1\n}\n{\"b\":2}", importer.FormatNDJSON, false, []string{"{\n \"a\": 1\n}", `{"b":2}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd, got, err := readAll(t, tt.file)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if rd.Format() != tt.format || rd.Gzipped() != tt.gzipped {
				t.Errorf("format %s gzipped %v, want %s %v", rd.Format(), rd.Gzipped(), tt.format, tt.gzipped)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("records = %q, want %q", got, tt.want)
			}
			if rd.Records() != int64(len(tt.want)) {
				t.Errorf("Records = %d, want %d", rd.Records(), len(tt.want))
			}
			if rd.BytesRead() != int64(len(tt.file)) {
				t.Errorf("BytesRead = %d, want %d", rd.BytesRead(), len(tt.file))
			}
			if _, err := rd.Next(); !errors.Is(err, io.EOF) {
				t.Errorf("Next after the end = %v, want io.EOF", err)
			}
		})
	}
}

func TestReaderInvalid(t *testing.T) {
	corrupt := []byte(gz(t, `{"a":1}`+"\n"))
	corrupt[len(corrupt)-6] ^= 0xff // the CRC
	tests := []struct {
		name, file string
		records    int // read before the error
		message    string
	}{
		{"empty", "", 0, "The import file is not valid: the file has no users."},
		{"white space", " \n\t", 0, "The import file is not valid: the file has no users."},
		{"empty gzip", gz(t, ""), 0, "The import file is not valid: the file has no users."},
		{"csv", "email,name\nx@y.z,x\n", 0, `The import file is not valid: the file is neither a JSON array nor NDJSON (it starts with 'e').`},
		{"a string", `"users"`, 0, `The import file is not valid: the file is neither a JSON array nor NDJSON (it starts with '"').`},
		{"truncated array", `[{"a":1},{"b":`, 1, "The import file is not valid: record 2 (line 1, at byte offset 9 of the JSON): unexpected EOF."},
		{"truncated array after a comma", "[{\"a\":1},\n", 1, "The import file is not valid: record 2 (line 2, at byte offset 10 of the JSON): unexpected EOF."},
		{"unclosed array", `[{"a":1}`, 1, "The import file is not valid: record 2 (line 1, at byte offset 8 of the JSON): unexpected EOF."},
		{"data after the array", `[{"a":1}] {}`, 1, "The import file is not valid: the file has data after its JSON array."},
		{"missing comma", `[{"a":1} {"b":2}]`, 1, "The import file is not valid: record 2 (line 1, at byte offset 9 of the JSON): invalid character '{' after array element."},
		{"an array over lines", "[\n  {\"a\": 1},\n  {\"b\":\n    }\n]", 1, "The import file is not valid: record 2 (line 3, at byte offset 16 of the JSON): the record is not valid JSON."},
		{"bad ndjson line", "{\"a\":1}\n{\"b\":}\n", 1, "The import file is not valid: record 2 (line 2, at byte offset 8 of the JSON): the record is not valid JSON."},
		{"bad first ndjson line", "{\"b\":}\n{\"a\":1}\n", 0, "The import file is not valid: record 1 (line 1, at byte offset 0 of the JSON): the record is not valid JSON."},
		{"bad ndjson line after blank lines", "{\"a\":1}\r\n\n\n{\"a\":2}\n{\"b\":}\n", 2, "The import file is not valid: record 3 (line 5, at byte offset 19 of the JSON): the record is not valid JSON."},
		{"truncated ndjson", "{\"a\":1}\n{\"b\":2", 1, "The import file is not valid: record 2 (line 2, at byte offset 8 of the JSON): unexpected EOF."},
		{"a record too long", `[{"a":"` + strings.Repeat("x", importer.MaxRecordBytes) + `"}]`, 0,
			"The import file is not valid: record 1 (line 1, at byte offset 1 of the JSON): the record is longer than 16777216 bytes."},
		{"corrupt gzip", string(corrupt), 1, "The import file is not valid: record 2 (line 2, at byte offset 8 of the JSON): gzip: invalid checksum."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got, err := readAll(t, tt.file)
			if userport.ErrorCode(err) != userport.EINVALID {
				t.Fatalf("error = %v, want EINVALID", err)
			}
			if msg := userport.ErrorMessage(err); msg != tt.message {
				t.Errorf("message = %q, want %q", msg, tt.message)
			}
			if len(got) != tt.records {
				t.Errorf("read %d records before the error, want %d", len(got), tt.records)
			}
		})
	}
}

// failingReader returns data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReaderFileError(t *testing.T) {
	disk := errors.New("disk on fire")
	for _, file := range []string{`[{"a":1},`, gz(t, `[{"a":1},{"b":2},{"c":3}]`)[:20]} {
		rd, err := importer.NewReader(&failingReader{data: []byte(file), err: disk})
		for err == nil {
			_, err = rd.Next()
		}
		if !errors.Is(err, disk) || userport.ErrorCode(err) != userport.EINTERNAL {
			t.Errorf("error = %v (%s), want the file's own error, internal", err, userport.ErrorCode(err))
		}
	}
}

func TestReaderSkip(t *testing.T) {
	rd, err := importer.NewReader(strings.NewReader(`[{"n":0},{"n":1},{"n":2}]`))
	if err != nil {
		t.Fatal(err)
	}
	if err := rd.Skip(2); err != nil {
		t.Fatalf("Skip: %v", err)
	}
	raw, err := rd.Next()
	if err != nil || string(raw) != `{"n":2}` {
		t.Fatalf("Next after Skip(2) = %s, %v", raw, err)
	}
	rd, _ = importer.NewReader(strings.NewReader(`{"n":0}`))
	err = rd.Skip(2)
	if msg := userport.ErrorMessage(err); msg != "The import file is not valid: the file has 1 records, fewer than the 2 already imported." {
		t.Errorf("Skip past the end: %v", err)
	}
}

// FuzzReader checks that any file either fails with EINVALID or yields
// records that are valid JSON, and that the reader never panics.
func FuzzReader(f *testing.F) {
	for _, s := range []string{`[{"a":1},{"b":"x\"]"}]`, "{\"a\":1}\n{\"b\":[1,{}]}\n", `[1, "x", null]`, `[{"a":`, "{}{}", `[] x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rd, err := importer.NewReader(bytes.NewReader(data))
		if err != nil {
			if userport.ErrorCode(err) != userport.EINVALID {
				t.Fatalf("NewReader: %v", err)
			}
			return
		}
		for {
			raw, err := rd.Next()
			if errors.Is(err, io.EOF) {
				return
			} else if err != nil {
				if userport.ErrorCode(err) != userport.EINVALID {
					t.Fatalf("Next: %v", err)
				}
				return
			}
			if !json.Valid(raw) {
				t.Fatalf("record %q is not JSON", raw)
			}
		}
	})
}

// TestBytesReadFollowsTheRecords checks that the bytes read, which the
// progress is computed from, follow the records of a gzip'd file of
// repeated records, whose compressed bytes the file's buffer reads ahead at
// once (issue 10: 99 % for 12 minutes).
func TestBytesReadFollowsTheRecords(t *testing.T) {
	const n = 400000
	file := gz(t, strings.Repeat(`{"email":"a@example.com"}`+"\n", n))
	rd, err := importer.NewReader(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := rd.Next(); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if i+1 == n/2 {
			// Half the records, and at most the 256 KiB of JSON read ahead
			// (2.5 % of this file).
			if pct := rd.BytesRead() * 100 / int64(len(file)); pct < 45 || pct > 56 {
				t.Errorf("after half the records, BytesRead is %d %% of the file (%d bytes), want about 50 %%", pct, len(file))
			}
		}
	}
	if _, err := rd.Next(); !errors.Is(err, io.EOF) || rd.BytesRead() != int64(len(file)) {
		t.Errorf("at the end: %v, BytesRead = %d, want io.EOF and %d", err, rd.BytesRead(), len(file))
	}
}
