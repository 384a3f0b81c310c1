package httpapi_test

// Helpers of the export tests (export_*_test.go), moved from cmd/userport's
// end-to-end tests with their "ex" names.
//
// The tests check exported files against a reference model written here from
// the contract (shared/spec/users-export-api.md section 5), independently of
// the encode package: exPathValue resolves a field path over a stored
// document, exCSVCell applies Auth0's cell rules, exNDJSONLine builds the
// nested NDJSON object.

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/userport/userport/internal/testutil"
)

// exJobIDPattern is the shape of a job id.
var exJobIDPattern = regexp.MustCompile(`^job_[A-Za-z0-9]{16}$`)

// exPost sends POST /api/v2/jobs/users-exports as the Auth0 page's curl does:
// the body verbatim, lower-case header names.
func (b *env) exPost(body string) *response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.base+"/api/v2/jobs/users-exports", strings.NewReader(body))
	must(b.t, err)
	req.Header["authorization"] = []string{"Bearer " + b.adminToken()}
	req.Header["content-type"] = []string{"application/json"}
	return b.send(req)
}

// exCreate posts body and returns the created job, failing unless the answer
// is 200.
func (b *env) exCreate(body string) *job {
	b.t.Helper()
	r := b.exPost(body)
	r.wantStatus(b.t, http.StatusOK)
	j := decodeJob(b.t, r.body)
	if !exJobIDPattern.MatchString(j.ID) {
		b.t.Fatalf("job id %q does not match %s", j.ID, exJobIDPattern)
	}
	return j
}

// exGet sends GET /api/v2/jobs/{id} with every scope.
func (b *env) exGet(id string) *response {
	b.t.Helper()
	return b.admin(http.MethodGet, "/jobs/"+id, nil)
}

// exDownload downloads a completed job's file and returns it gunzipped,
// checking the headers of the download.
func (b *env) exDownload(j *job) []byte {
	b.t.Helper()
	r := b.fetch(j.Location)
	if r.status != http.StatusOK {
		b.t.Fatalf("download %s: %d %s", j.Location, r.status, r.body)
	}
	name := "dev." + j.Format + ".gz"
	r.wantHeader(b.t, "Content-Type", "application/gzip")
	r.wantHeader(b.t, "Content-Disposition", `attachment; filename="`+name+`"`)
	r.wantHeader(b.t, "Content-Encoding", "")
	return testutil.Gunzip(b.t, r.body)
}

// exIsGzip reports whether data starts like a gzip file.
func exIsGzip(data []byte) bool {
	return len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b
}

// exWantKeys fails unless body is an object with exactly keys, in that order.
func exWantKeys(t *testing.T, body []byte, keys ...string) {
	t.Helper()
	if got := testutil.JSONKeys(t, body); !slices.Equal(got, keys) {
		t.Errorf("keys = %v, want %v; body %s", got, keys, body)
	}
}
