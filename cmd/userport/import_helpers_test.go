package main

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
)

// imPart is one part of a multipart body: a field, or a file when File is set.
type imPart = testutil.Part

// imField is a multipart field.
func imField(name, value string) imPart { return imPart{Name: name, Value: value} }

// imFile is the users file.
func imFile(data []byte) imPart { return imPart{Name: "users", File: data} }

// imUpload posts a multipart import request with a token of every scope.
func (b *bundle) imUpload(parts []imPart) *response {
	b.t.Helper()
	body, contentType := testutil.Multipart(b.t, parts...)
	return b.request(http.MethodPost, "/api/v2/jobs/users-imports", body,
		"Content-Type", contentType, "Authorization", "Bearer "+b.token())
}

// imImport uploads file into the connection conn and returns the pending job.
func (b *bundle) imImport(file []byte, conn string) *exJob {
	b.t.Helper()
	r := b.imUpload([]imPart{imFile(file), imField("connection_id", conn)})
	r.wantStatus(b.t, http.StatusAccepted)
	return exDecodeJob(b.t, r.body)
}

// imRun imports file into conn and waits for the job to complete.
func (b *bundle) imRun(file []byte, conn string) *exJob {
	b.t.Helper()
	j := b.waitJob(b.imImport(file, conn).ID, 2*time.Minute)
	if j.Status != "completed" {
		b.t.Fatalf("import %s: %s (%s)", j.ID, j.Status, j.StatusDetails)
	}
	return j
}

// imError is one entry of GET /jobs/{id}/errors.
type imError = userport.ImportError

// imCodes is the (code, path) of each issue of each error, in order.
func imCodes(errs []imError) []string { return testutil.ImportCodes(errs) }

// imCountErrors streams GET /jobs/{id}/errors and counts each code.
func (b *bundle) imCountErrors(id string) map[string]int {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.base+"/api/v2/jobs/"+id+"/errors", nil)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+b.token())
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	return testutil.CountImportCodes(b.t, resp.Body)
}

// imErrors reads a job's per-user errors (none on 204).
func (b *bundle) imErrors(id string) []imError {
	b.t.Helper()
	r := b.admin(http.MethodGet, "/jobs/"+id+"/errors", nil)
	if r.status == http.StatusNoContent {
		if len(r.body) != 0 {
			b.t.Errorf("204 with a body: %s", r.body)
		}
		return nil
	}
	r.wantStatus(b.t, http.StatusOK)
	var list []imError
	r.decode(b.t, &list)
	return list
}

// imExport exports the tenant as NDJSON through the API and returns the
// downloaded (gzip'd) file.
func (b *bundle) imExport() []byte {
	b.t.Helper()
	j := b.waitJob(b.exCreate(`{"format":"json"}`).ID, 2*time.Minute)
	if j.Status != "completed" || j.Location == "" {
		b.t.Fatalf("export %s: %s (%s)", j.ID, j.Status, j.StatusDetails)
	}
	r := b.exFetch(j.Location)
	r.wantStatus(b.t, http.StatusOK)
	return r.body
}

// imNDJSON joins records into an NDJSON file.
func imNDJSON(records ...string) []byte {
	return []byte(strings.Join(records, "\n") + "\n")
}

// imSummary is a summary, for messages.
func imSummary(s *userport.ImportSummary) string {
	if s == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%+v", *s)
}
