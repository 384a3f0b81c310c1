package testutil

import (
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/userport/userport"
)

// ImportCodes is the "CODE path" of each issue of each per-user error, in
// order: one string per user, its issues joined by "; ".
func ImportCodes(errs []userport.ImportError) []string {
	var out []string
	for _, e := range errs {
		var parts []string
		for _, is := range e.Errors {
			parts = append(parts, is.Code+" "+is.Path)
		}
		out = append(out, strings.Join(parts, "; "))
	}
	return out
}

// CountImportCodes reads, one error at a time, the JSON array of per-user
// errors that GET /api/v2/jobs/{id}/errors streams, and counts each code.
// An empty body (the 204 of a job without errors) counts none.
func CountImportCodes(t testing.TB, body io.Reader) map[string]int {
	t.Helper()
	counts := map[string]int{}
	dec := json.NewDecoder(body)
	if _, err := dec.Token(); err == io.EOF {
		return counts
	} else if err != nil {
		t.Fatalf("import errors: %v", err)
	}
	for dec.More() {
		var e userport.ImportError
		if err := dec.Decode(&e); err != nil {
			t.Fatalf("import errors: %v", err)
		}
		for _, is := range e.Errors {
			counts[is.Code]++
		}
	}
	return counts
}
