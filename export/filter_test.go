package export_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/userport/userport"
	"github.com/userport/userport/search"
)

// TestFilteredExportWithoutIndex checks filtered exports whose queries
// have no index plan (every user is read, in user_id order) against the
// full export's lines that match, and that progress counts every user read.
func TestFilteredExportWithoutIndex(t *testing.T) {
	m := newMemStore(1000)
	for _, q := range []string{`app_metadata.plan:free`, `blocked:true OR logins_count:[10 TO *]`,
		`NOT _exists_:last_login`, `user_metadata.consent.given:true AND NOT email_verified:true`, `blocked:true AND blocked:false`} {
		for _, conn := range []string{"", "con_other"} {
			for _, limit := range []int{0, 7, 100} {
				for _, pageSize := range []int{1, 64, 1000} {
					full := &userport.Job{Format: userport.FormatJSON, ConnectionID: conn}
					job := &userport.Job{Format: userport.FormatJSON, ConnectionID: conn, Query: q, Limit: limit}
					name := fmt.Sprintf("%s/%s/limit=%d/page=%d", q, conn, limit, pageSize)
					all, _ := run(t, m, full, 1000)
					out, res, progress := runResult(t, m, job, pageSize)
					parsed, err := search.Parse(q)
					if err != nil {
						t.Fatal(err)
					}
					var want []string
					for _, line := range lines(all) {
						if parsed.Match([]byte(line)) && (limit == 0 || len(want) < limit) {
							want = append(want, line)
						}
					}
					if got := lines(out); !slices.Equal(got, want) || res.Rows != int64(len(want)) {
						t.Errorf("%s: %d lines (rows %d), want %d", name, len(got), res.Rows, len(want))
					}
					if users := int64(len(lines(all))); limit == 0 && progress != users {
						t.Errorf("%s: progress %d, want the %d users read", name, progress, users)
					}
				}
			}
		}
	}
}

// TestFilteredExportFieldCounts checks the counts of a filtered CSV export.
func TestFilteredExportFieldCounts(t *testing.T) {
	m := newMemStore(500)
	job := &userport.Job{Format: userport.FormatCSV, Query: `app_metadata.plan:free`,
		Fields: []userport.Field{{Name: "user_id"}, {Name: "app_metadata.plan"}, {Name: "last_login"}, {Name: "nope"}}}
	_, res, _ := runResult(t, m, job, 100)
	var free, logins int64
	for _, d := range m.docs {
		if gjson.GetBytes(d, "app_metadata.plan").Str == "free" {
			free++
			if v := gjson.GetBytes(d, "last_login"); v.Exists() && v.Type != gjson.Null {
				logins++
			}
		}
	}
	if want := []int64{free, free, logins, 0}; res.Rows != free || !slices.Equal(res.FieldCounts, want) {
		t.Errorf("rows %d, counts %v; want %d, %v", res.Rows, res.FieldCounts, free, want)
	}
}

// TestIncrementalExport checks an incremental export over the in-memory
// marks: the users changed after Since up to the watermark's High, in
// (mark, user_id) order (that match the query; up to the limit), then every
// tombstone of the same marks.
func TestIncrementalExport(t *testing.T) {
	m := newMemStore(600) // marks 1..50, i%50+1
	deleted := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for i := range 40 {
		conn := "con_AAAAAAAAAAAAAAAA"
		if i%4 == 0 {
			conn = "con_other"
		}
		m.tombs = append(m.tombs, memTomb{mark: uint64(i + 1), Tombstone: userport.Tombstone{
			UserID: fmt.Sprintf("auth0|gone%02d", i), ConnectionID: conn, DeletedAt: deleted.Add(time.Duration(i) * time.Second)}})
	}
	tests := []struct {
		name    string
		job     userport.Job
		users   func(i int) bool // which of m's users the file has
		tombs   func(i int) bool // which tombstones
		limited bool
	}{
		{"all changes", userport.Job{}, func(i int) bool { return true }, func(i int) bool { return true }, false},
		{"one connection", userport.Job{ConnectionID: "con_other"}, func(i int) bool { return m.conn[i] == "con_other" },
			func(i int) bool { return i%4 == 0 }, false},
		{"a query", userport.Job{Query: "app_metadata.plan:free"}, func(i int) bool {
			return gjson.GetBytes(m.docs[i], "app_metadata.plan").Str == "free"
		}, func(i int) bool { return true }, false},
		{"a limit", userport.Job{Limit: 25}, func(i int) bool { return true }, func(i int) bool { return true }, true},
	}
	for _, tt := range tests {
		for _, format := range []userport.Format{userport.FormatJSON, userport.FormatCSV} {
			for _, pageSize := range []int{1, 7, 1000} {
				t.Run(fmt.Sprintf("%s/%s/page=%d", tt.name, format, pageSize), func(t *testing.T) {
					job := tt.job
					job.Format, job.ChangesSince, job.Since, job.Mark = format, "cursor", 10, userport.Watermark{Low: 30, High: 30}
					if format == userport.FormatCSV {
						job.Fields = []userport.Field{{Name: "email"}, {Name: "user_id"}}
					}
					// What the file should hold, in (mark, user_id) order.
					var wantUsers []string
					read := int64(0)
					for mark := uint64(11); mark <= 30; mark++ {
						for i := range m.ids {
							if m.marks[i] != mark || (job.ConnectionID != "" && m.conn[i] != job.ConnectionID) {
								continue
							}
							read++
							if tt.users(i) && (job.Limit == 0 || len(wantUsers) < job.Limit) {
								wantUsers = append(wantUsers, m.ids[i])
							}
						}
					}
					var wantTombs []string
					for i, ts := range m.tombs {
						if ts.mark > 10 && ts.mark <= 30 && tt.tombs(i) {
							wantTombs = append(wantTombs, ts.UserID+" "+userport.FormatTime(ts.DeletedAt))
						}
					}
					out, res, progress := runResult(t, m, &job, pageSize)
					got := lines(out)
					if format == userport.FormatCSV {
						if got[0] != "email,user_id,deleted_at" {
							t.Fatalf("header %q", got[0])
						}
						got = got[1:]
					}
					var gotUsers, gotTombs []string
					for _, line := range got {
						id, deletedAt := parseLine(t, format, line)
						if deletedAt == "" {
							gotUsers = append(gotUsers, id)
						} else {
							gotTombs = append(gotTombs, id+" "+deletedAt)
						}
					}
					if !slices.Equal(gotUsers, wantUsers) || !slices.Equal(gotTombs, wantTombs) {
						t.Errorf("users %d, tombstones %d; want %d, %d", len(gotUsers), len(gotTombs), len(wantUsers), len(wantTombs))
					}
					if len(got) != len(gotUsers)+len(gotTombs) || (len(gotTombs) > 0 && !strings.Contains(got[len(gotUsers)], "gone")) {
						t.Errorf("the tombstones do not follow the users")
					}
					if res.Rows != int64(len(wantUsers)) || res.Tombstones != int64(len(wantTombs)) {
						t.Errorf("result %+v, want %d rows, %d tombstones", res, len(wantUsers), len(wantTombs))
					}
					if !tt.limited && progress != read+int64(len(wantTombs)) {
						t.Errorf("progress %d, want the %d changes and %d tombstones read", progress, read, len(wantTombs))
					}
				})
			}
		}
	}
}

// parseLine returns the user_id and deleted_at of a line of an
// incremental file (deleted_at "" for a live user).
func parseLine(t *testing.T, format userport.Format, line string) (id, deletedAt string) {
	t.Helper()
	if format == userport.FormatJSON {
		return gjson.Get(line, "user_id").Str, gjson.Get(line, "deleted_at").Str
	}
	cells := strings.Split(line, ",") // the test's cells have no commas
	if len(cells) != 3 {
		t.Fatalf("line %q: %d cells", line, len(cells))
	}
	if cells[2] != "" && cells[0] != "" {
		t.Fatalf("tombstone row %q has an email", line)
	}
	return strings.TrimSuffix(strings.TrimPrefix(cells[1], `"'`), `"`), cells[2]
}

// lines splits a file into its lines.
func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
