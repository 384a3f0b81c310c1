package httpapi_test

import (
	"encoding/json"
	"testing"
)

// TestImportRefusesAmbiguousRecords imports records with a key twice and
// with invalid UTF-8: each is a per-user error, the others are imported.
func TestImportRefusesAmbiguousRecords(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.work(nil)
	conn := b.connection(upa).ID
	file := imNDJSON(
		`{"email":"one@example.com","email":"two@example.com"}`,
		`{"email":"meta@example.com","app_metadata":{"plan":"free","plan":"pro"}}`,
		"{\"email\":\"utf8@example.com\",\"name\":\"\xff\"}",
		`{"email":"fine@example.com"}`,
	)
	j := b.imRun(file, conn)
	if j.Summary.Inserted != 1 || j.Summary.Failed != 3 {
		t.Fatalf("summary = %+v, want 1 inserted, 3 failed", j.Summary)
	}
	want := []string{
		"Error in email property - Duplicate property: email",
		"Error in app_metadata.plan property - Duplicate property: app_metadata.plan",
		"Invalid JSON: the user is not valid UTF-8",
	}
	errs := b.imErrors(j.ID)
	if len(errs) != len(want) {
		t.Fatalf("errors = %+v", errs)
	}
	for i, e := range errs {
		if len(e.Errors) != 1 || e.Errors[0].Message != want[i] || !json.Valid(e.User) {
			t.Errorf("error %d = %s %+v, want %q", i, e.User, e.Errors, want[i])
		}
	}
	if got := string(errs[2].User); got != `{"email":"utf8@example.com","name":"`+"\uFFFD"+`"}` {
		t.Errorf("the invalid UTF-8 record shows as %s", got)
	}
}
