package importer_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/importer"
)

// FuzzImportFile reads arbitrary bytes, gzip'd or not, as an import file: the
// reader never panics, fails only with EINVALID, and the records it returns
// account for the file. A file it reads to the end holds exactly those
// records (encoding/json agrees), and a file encoding/json reads as an array,
// or as a stream of values starting with an object, is read to the end.
func FuzzImportFile(f *testing.F) {
	user := `{"email":"ann@example.com","email_verified":true,"user_metadata":{"note":"a \"quoted\" ] }"},` +
		`"custom_password_hash":{"algorithm":"bcrypt","hash":{"value":"$2b$10$abcdefghijklmnopqrstuu"}}}`
	for _, s := range []string{
		"[" + user + "," + user + "]",
		user + "\n" + user + "\n",
		"\ufeff[" + user + "]",
		`[{"a":1},{"b":"x\"]"}]`, "{\"a\":1}\n{\"b\":[1,{}]}\n", `[1, "x", null]`, `[{"a":`, "{}{}", `[] x`,
		`[{"a":1} {"b":2}]`, "{}\n\"s\"\n1.5e3\ntrue", `[{"a":"\\"}]`, "[\n]", `{"a":[}`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, gzipped bool) {
		file := data
		if gzipped {
			file = []byte(gz(t, string(data)))
		}
		records, rd, err := readFile(file)
		if err != nil {
			if userport.ErrorCode(err) != userport.EINVALID {
				t.Fatalf("%q: error %v (%s), want EINVALID", data, err, userport.ErrorCode(err))
			}
			if rd != nil && rd.Records() != int64(len(records)) {
				t.Fatalf("%q: Records() = %d after %d records", data, rd.Records(), len(records))
			}
		}
		for _, raw := range records {
			if !json.Valid(raw) {
				t.Fatalf("%q: record %q is not JSON", data, raw)
			}
		}
		want, ok := jsonRecords(data)
		if err == nil && !ok {
			t.Fatalf("%q: read %d records, but encoding/json does not read the file", data, len(records))
		}
		if !ok {
			return
		}
		if err != nil {
			t.Fatalf("%q: encoding/json reads %d records, the reader fails after %d: %v", data, len(want), len(records), err)
		}
		if len(records) != len(want) {
			t.Fatalf("%q: %d records, encoding/json reads %d", data, len(records), len(want))
		}
		for i := range want {
			if !bytes.Equal(compact(t, records[i]), compact(t, want[i])) {
				t.Fatalf("%q: record %d = %s, encoding/json reads %s", data, i, records[i], want[i])
			}
		}
	})
}

// readFile reads every record of file, up to the first error.
func readFile(file []byte) ([]json.RawMessage, *importer.Reader, error) {
	rd, err := importer.NewReader(bytes.NewReader(file))
	if err != nil {
		return nil, nil, err
	}
	var records []json.RawMessage
	for {
		raw, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return records, rd, nil
		} else if err != nil {
			return records, rd, err
		}
		records = append(records, raw)
	}
}

// jsonRecords reads data as encoding/json would an import file: a JSON array
// of values, or a stream of values starting with an object.
func jsonRecords(data []byte) ([]json.RawMessage, bool) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if bytes.HasPrefix(trimmed, []byte("[")) {
		var arr []json.RawMessage
		return arr, json.Unmarshal(data, &arr) == nil
	}
	if !bytes.HasPrefix(trimmed, []byte("{")) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var vals []json.RawMessage
	for {
		var v json.RawMessage
		if err := dec.Decode(&v); errors.Is(err, io.EOF) {
			return vals, true
		} else if err != nil {
			return nil, false
		}
		vals = append(vals, v)
	}
}

func compact(t *testing.T, raw []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
