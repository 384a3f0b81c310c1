package importer_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/importer"
)

// readLimited reads every record of file under lim and returns how many it
// read before the end or the error.
func readLimited(file string, lim importer.Limits) (int64, error) {
	rd, err := importer.NewLimitedReader(strings.NewReader(file), lim)
	if err != nil {
		return 0, err
	}
	for {
		if _, err := rd.Next(); errors.Is(err, io.EOF) {
			return rd.Records(), nil
		} else if err != nil {
			return rd.Records(), err
		}
	}
}

// TestReaderBounds checks that a file holding more records, or more bytes
// of JSON once decompressed, than its limits is an EINVALID error saying so,
// met as the reader gets there and not after reading the rest (a gzip of
// whitespace or of empty records expands a thousandfold), and that a file
// at its limits is read whole.
func TestReaderBounds(t *testing.T) {
	ndjson := strings.Repeat("{}\n", 5)
	array := "[" + strings.Repeat("{},", 4) + "{}]"
	bomb := gz(t, "[{}"+strings.Repeat(" ", 64<<20)+"]")
	records := gz(t, strings.Repeat("{}\n", 4<<20))
	tests := []struct {
		name    string
		file    string
		lim     importer.Limits
		read    int64  // records read
		message string // part of the error's message; "" for none
	}{
		{"ndjson at the record limit", ndjson, importer.Limits{Records: 5}, 5, ""},
		{"ndjson over the record limit", ndjson, importer.Limits{Records: 4}, 4, "holds more than 4 users"},
		{"array at the record limit", array, importer.Limits{Records: 5}, 5, ""},
		{"array over the record limit", array, importer.Limits{Records: 1}, 1, "holds more than 1 users"},
		{"gzip'd records over the record limit", records, importer.Limits{Records: 1000}, 1000, "holds more than 1000 users"},
		{"at the byte limit", ndjson, importer.Limits{JSONBytes: int64(len(ndjson))}, 5, ""},
		{"over the byte limit", ndjson, importer.Limits{JSONBytes: int64(len(ndjson)) - 1}, 0,
			"holds more than 14 bytes of JSON once decompressed"},
		{"gzip'd whitespace over the byte limit", bomb, importer.Limits{JSONBytes: 1 << 20}, 1,
			"holds more than 1048576 bytes of JSON"},
		{"gzip'd records over the byte limit", records, importer.Limits{JSONBytes: 1 << 20}, 1<<20/3 + 1, "bytes of JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := readLimited(tt.file, tt.lim)
			if tt.message == "" {
				if err != nil || n != tt.read {
					t.Fatalf("read %d records (%v), want %d", n, err, tt.read)
				}
				return
			}
			if userport.ErrorCode(err) != userport.EINVALID || !strings.Contains(userport.ErrorMessage(err), tt.message) {
				t.Fatalf("error %v, want EINVALID with %q", err, tt.message)
			}
			if n > tt.read {
				t.Errorf("read %d records before the error, want at most %d", n, tt.read)
			}
		})
	}
}

// TestRunStopsAtTheBound checks that an import whose file holds more
// records than its importer's limit fails with an EINVALID error naming the
// limit (the job's status_details), and that the users of the batches
// committed before stay imported.
func TestRunStopsAtTheBound(t *testing.T) {
	e := newEnv(t)
	job := e.upload(t, seedFile(t, 1000), false)
	im := e.importer(100)
	im.Limits = importer.Limits{Records: 650}
	_, _, err := im.Run(context.Background(), job, 0)
	want := "The import file holds more than 650 users, the most one import takes: split it into several files."
	if userport.ErrorCode(err) != userport.EINVALID || userport.ErrorMessage(err) != want {
		t.Fatalf("Run: %v, want EINVALID %q", err, want)
	}
	st, err := e.store.FindImportState(context.Background(), "dev", job.ID)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := e.store.CountUsers(context.Background(), "dev", e.conn.ID)
	if st.Records < 550 || st.Records > 650 || n != st.Records || st.Summary.Inserted != n {
		t.Errorf("cursor %d, %d inserted, %d users stored; want the same number, 550 to 650", st.Records, st.Summary.Inserted, n)
	}
}
