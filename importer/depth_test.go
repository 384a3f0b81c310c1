package importer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/jsonstrict"
)

// deepUser is a record with an email whose user_metadata makes the record
// depth levels deep (the record is level 1).
func deepUser(email string, depth int) string {
	return `{"email":"` + email + `","user_metadata":` + testutil.Nested(depth-1) + `}`
}

// TestRunRefusesDeepRecords: a record nested deeper than jsonstrict.MaxDepth
// is a per-user INVALID_FORMAT error, and the valid users of its batch are
// imported (issue 20, defect 1: SQLite refused the whole batch from 1,000
// levels and the job failed after its retries).
func TestRunRefusesDeepRecords(t *testing.T) {
	for _, depth := range []int{jsonstrict.MaxDepth + 1, 1001, 9999, 20000} {
		e := newEnv(t)
		file := `{"email":"a@example.com"}` + "\n" + deepUser("deep@example.com", depth) + "\n" +
			deepUser("max@example.com", jsonstrict.MaxDepth) + "\n" + `{"email":"b@example.com"}` + "\n"
		job := e.upload(t, []byte(file), false)
		st, _ := runAll(t, e.importer(10), job, 0)
		if st.Summary != (userport.ImportSummary{Inserted: 3, Failed: 1, Total: 4}) {
			t.Errorf("depth %d: summary = %+v, want 3 inserted, 1 failed", depth, st.Summary)
		}
		list, err := e.store.ListImportErrors(context.Background(), "dev", job.ID, -1, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := "Invalid JSON: " + jsonstrict.ErrTooDeep.Error()
		if len(list) != 1 || list[0].Record != 1 || list[0].Errors[0].Code != userport.ImportInvalidFormat ||
			list[0].Errors[0].Message != want {
			t.Errorf("depth %d: errors = %+v, want record 1 %s %q", depth, list, userport.ImportInvalidFormat, want)
		}
		for _, email := range []string{"a@example.com", "max@example.com", "b@example.com"} {
			if users, err := e.store.FindUsersByEmail(context.Background(), "dev", email); err != nil || len(users) != 1 {
				t.Errorf("depth %d: users of %s = %d (%v), want 1", depth, email, len(users), err)
			}
		}
	}
}

// TestRunRefusesARecordOfBrackets: a record of nearly 16 MiB of nested
// brackets (8,000,000 levels) is a per-user error, shown as null, and the
// import goes on: gjson's validator, which recurses once a level, is never
// handed it (it overflowed the goroutine's stack and killed the process).
func TestRunRefusesARecordOfBrackets(t *testing.T) {
	const n = 8_000_000
	e := newEnv(t)
	deep := `{"email":"deep@example.com","user_metadata":{"a":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}}`
	job := e.upload(t, []byte(deep+"\n"+`{"email":"b@example.com"}`+"\n"), false)
	st, _ := runAll(t, e.importer(10), job, 0)
	if st.Summary != (userport.ImportSummary{Inserted: 1, Failed: 1, Total: 2}) {
		t.Errorf("summary = %+v, want 1 inserted, 1 failed", st.Summary)
	}
	list, err := e.store.ListImportErrors(context.Background(), "dev", job.ID, -1, 0)
	if err != nil || len(list) != 1 || list[0].Errors[0].Code != userport.ImportInvalidFormat || string(list[0].User) != "null" {
		t.Errorf("errors = %+v (%v), want one %s whose user is null", list, err, userport.ImportInvalidFormat)
	}
}
