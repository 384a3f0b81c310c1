package testutil

import (
	"slices"
	"strings"
	"testing"

	"github.com/userport/userport"
)

func TestImportCodes(t *testing.T) {
	body := `[{"user":{},"errors":[{"code":"INVALID_FORMAT","path":"email"},{"code":"MAX_LENGTH","path":"name"}]},` +
		`{"user":{},"errors":[{"code":"INVALID_FORMAT","path":"email"}]}]`
	if got := CountImportCodes(t, strings.NewReader(body)); len(got) != 2 || got["INVALID_FORMAT"] != 2 || got["MAX_LENGTH"] != 1 {
		t.Errorf("CountImportCodes = %v", got)
	}
	if got := CountImportCodes(t, strings.NewReader("")); len(got) != 0 {
		t.Errorf("CountImportCodes of a 204 = %v", got)
	}
	errs := []userport.ImportError{{Errors: []userport.ImportIssue{{Code: "A", Path: "x"}, {Code: "B", Path: "y"}}}, {Errors: []userport.ImportIssue{{Code: "C"}}}}
	if got, want := ImportCodes(errs), []string{"A x; B y", "C "}; !slices.Equal(got, want) {
		t.Errorf("ImportCodes = %q, want %q", got, want)
	}
}
