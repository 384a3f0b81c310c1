package encode_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/encode"
)

// testTombstones are deleted users, one of whose user_id a spreadsheet
// would run as a formula were it not guarded, one with a quote and a comma.
var testTombstones = []userport.Tombstone{
	{UserID: "auth0|5f1c2e3d4b5a6978000000ff", DeletedAt: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)},
	{UserID: `=HYPERLINK("http://evil.example","x")`, DeletedAt: time.Date(2026, 12, 7, 10, 0, 0, 123456789, time.FixedZone("CET", 3600))},
	{UserID: `sms|"odd", id`, DeletedAt: time.Date(2027, 1, 2, 3, 4, 5, 6000000, time.UTC)},
}

// encodeIncremental runs docs, then tombstones, through the incremental
// encoder for format and fields.
func encodeIncremental(t testing.TB, format userport.Format, fields []userport.Field, docs [][]byte, tombs []userport.Tombstone) []byte {
	t.Helper()
	return encodeFile(t, encode.NewIncremental, format, fields, docs, tombs)
}

func TestGoldenIncremental(t *testing.T) {
	users := testUsers(t)
	twoIDs := []userport.Field{{Name: "email"}, {Name: "user_id"}, {Name: "name"}, {Name: "user_id", ExportAs: "id"}}
	tests := []struct {
		file   string
		format userport.Format
		fields []userport.Field
		docs   [][]byte
		tombs  []userport.Tombstone
	}{
		{"incremental-default.csv", userport.FormatCSV, nil, users, testTombstones},
		{"incremental-custom.csv", userport.FormatCSV, customFields, users, testTombstones},
		{"incremental-two-ids.csv", userport.FormatCSV, twoIDs, users[:2], testTombstones},
		{"incremental-all.ndjson", userport.FormatJSON, nil, users, testTombstones},
		{"incremental-fields.ndjson", userport.FormatJSON, customFields, users, testTombstones},
		{"incremental-empty.csv", userport.FormatCSV, customFields, nil, nil},
		{"incremental-tombstones.ndjson", userport.FormatJSON, customFields, nil, testTombstones},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := encodeIncremental(t, tt.format, tt.fields, tt.docs, tt.tombs)
			golden(t, tt.file, got)
			// The users' part is the full export's, but for the last column.
			full := encodeAll(t, tt.format, tt.fields, tt.docs)
			lines := strings.SplitAfter(string(got), "\n")
			if tt.format == userport.FormatJSON {
				if live := strings.Join(lines[:len(lines)-1-len(tt.tombs)], ""); live != string(full) {
					t.Errorf("the users' lines differ from the full export's")
				}
				return
			}
			if !strings.HasSuffix(lines[0], ",deleted_at\n") {
				t.Errorf("header %q has no deleted_at column last", lines[0])
			}
		})
	}
}

func TestIncrementalCSVCells(t *testing.T) {
	fields := []userport.Field{{Name: "email"}, {Name: "user_id", ExportAs: "=id"}, {Name: "created_at"}}
	doc := []byte(`{"user_id":"auth0|1","email":"a@example.com","created_at":"2020-01-02T03:04:05.000Z"}`)
	got := string(encodeIncremental(t, userport.FormatCSV, fields, [][]byte{doc}, testTombstones[1:2]))
	want := `email,"'=id",created_at,deleted_at` + "\n" +
		`"'a@example.com","'auth0|1",2020-01-02T03:04:05.000Z,` + "\n" +
		`,"'=HYPERLINK(""http://evil.example"",""x"")",,2026-12-07T09:00:00.123Z` + "\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestIncrementalNeedsUserID(t *testing.T) {
	for _, format := range []userport.Format{userport.FormatCSV, userport.FormatJSON} {
		fields := []userport.Field{{Name: "email"}, {Name: "user_metadata.user_id"}}
		if _, err := encode.NewIncremental(&bytes.Buffer{}, format, fields); err == nil || !strings.Contains(err.Error(), "user_id") {
			t.Errorf("%s without user_id: %v", format, err)
		}
		if err := encode.ValidateIncremental(format, fields); err == nil {
			t.Errorf("ValidateIncremental(%s) without user_id: nil", format)
		}
		if err := encode.ValidateIncremental(format, []userport.Field{{Name: "user_id", ExportAs: "id"}}); err != nil {
			t.Errorf("ValidateIncremental(%s) with user_id: %v", format, err)
		}
		if err := encode.ValidateIncremental(format, []userport.Field{{Name: "user_id"}, {Name: "a..b"}}); err == nil {
			t.Errorf("ValidateIncremental(%s) of a bad path: nil", format)
		}
		// A full export's encoder refuses tombstones.
		enc, err := encode.New(&bytes.Buffer{}, format, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := enc.EncodeTombstone(testTombstones[0]); !errors.Is(err, encode.ErrNotIncremental) {
			t.Errorf("%s: EncodeTombstone of a full export: %v", format, err)
		}
	}
}

func TestFieldCounts(t *testing.T) {
	docs := [][]byte{
		[]byte(`{"user_id":"a","email":"a@x","user_metadata":{"plan":"pro","n":null},"identities":[{"connection":"c"}]}`),
		[]byte(`{"user_id":"b","email":null,"user_metadata":{"plan":""},"identities":[]}`),
		[]byte(`{"user_id":"c","user_metadata":{"plan":{"x":1},"n":0}}`),
		[]byte(`{"user_id":"d","email":"d@x","blocked":false}`),
	}
	fields := []userport.Field{{Name: "user_id"}, {Name: "email"}, {Name: "user_metadata.plan"},
		{Name: "user_metadata.n", ExportAs: "n"}, {Name: "identities[0].connection"}, {Name: "blocked"}, {Name: "nope"}}
	want := []int64{4, 2, 3, 1, 1, 1, 0}
	for _, format := range []userport.Format{userport.FormatCSV, userport.FormatJSON} {
		for _, incremental := range []bool{false, true} {
			newEnc := encode.New
			if incremental {
				newEnc = encode.NewIncremental
			}
			enc, err := newEnc(&bytes.Buffer{}, format, fields)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range docs {
				if err := enc.Encode(d); err != nil {
					t.Fatal(err)
				}
			}
			// Neither a malformed document (not written) nor a tombstone counts.
			if err := enc.Encode([]byte(`{"user_id":"e","email":"e@x",`)); !errors.Is(err, encode.ErrInvalidDocument) {
				t.Fatalf("%s: a malformed document: %v", format, err)
			}
			if incremental {
				if err := enc.EncodeTombstone(testTombstones[0]); err != nil {
					t.Fatal(err)
				}
			}
			if got := enc.FieldCounts(); !slices.Equal(got, want) {
				t.Errorf("%s (incremental %v): counts %v, want %v", format, incremental, got, want)
			}
		}
	}
	// An NDJSON file of every root attribute has no fields to count; a CSV
	// file given none counts DefaultCSVFields.
	all, _ := encode.New(&bytes.Buffer{}, userport.FormatJSON, nil)
	if err := all.Encode(docs[0]); err != nil || all.FieldCounts() != nil {
		t.Errorf("every root attribute: counts %v, %v", all.FieldCounts(), err)
	}
	def, _ := encode.New(&bytes.Buffer{}, userport.FormatCSV, nil)
	if err := def.Encode(docs[0]); err != nil || len(def.FieldCounts()) != len(encode.DefaultCSVFields()) || def.FieldCounts()[0] != 1 {
		t.Errorf("default CSV fields: counts %v, %v", def.FieldCounts(), err)
	}
}
