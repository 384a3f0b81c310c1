package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
)

// imJob is an import (or export) job as the API shows it.
type imJob struct {
	Type            string                  `json:"type"`
	Status          string                  `json:"status"`
	ConnectionID    string                  `json:"connection_id"`
	Connection      string                  `json:"connection"`
	CreatedAt       string                  `json:"created_at"`
	ID              string                  `json:"id"`
	ExternalID      string                  `json:"external_id"`
	PercentageDone  *int                    `json:"percentage_done"`
	TimeLeftSeconds *int                    `json:"time_left_seconds"`
	Summary         *userport.ImportSummary `json:"summary"`
	StatusDetails   string                  `json:"status_details"`
	Location        string                  `json:"location"`
}

// imPart is one part of a multipart body: a field, or a file when File is set.
type imPart = testutil.Part

// imField is a multipart field.
func imField(name, value string) imPart { return imPart{Name: name, Value: value} }

// imFile is the users file.
func imFile(data []byte) imPart { return imPart{Name: "users", File: data} }

// imUpload posts a multipart import request with a token of scopes (every
// scope when none).
func (b *bundle) imUpload(parts []imPart, scopes ...string) *response {
	b.t.Helper()
	body, contentType := testutil.Multipart(b.t, parts...)
	tok := b.all
	if len(scopes) > 0 {
		tok = b.token(scopes...)
	} else if tok == "" {
		b.all = b.token()
		tok = b.all
	}
	return b.request(http.MethodPost, "/api/v2/jobs/users-imports", body,
		"Content-Type", contentType, "Authorization", "Bearer "+tok)
}

// imImport uploads file into the connection conn and returns the pending job.
func (b *bundle) imImport(file []byte, conn string, fields ...imPart) *imJob {
	b.t.Helper()
	r := b.imUpload(append([]imPart{imFile(file), imField("connection_id", conn)}, fields...))
	r.wantStatus(b.t, http.StatusAccepted)
	var j imJob
	r.decode(b.t, &j)
	return &j
}

// imGet reads a job through the API.
func (b *bundle) imGet(id string) *imJob {
	b.t.Helper()
	r := b.admin(http.MethodGet, "/jobs/"+id, nil)
	r.wantStatus(b.t, http.StatusOK)
	var j imJob
	r.decode(b.t, &j)
	return &j
}

// imWait polls a job until it is completed or failed.
func (b *bundle) imWait(id string, timeout time.Duration) *imJob {
	b.t.Helper()
	var j *imJob
	testutil.WaitFor(b.t, timeout, "job "+id+" to end", func() (string, bool) {
		j = b.imGet(id)
		return j.Status, j.Status == "completed" || j.Status == "failed"
	})
	return j
}

// imRun imports file into conn and waits for the job to complete.
func (b *bundle) imRun(file []byte, conn string, fields ...imPart) *imJob {
	b.t.Helper()
	j := b.imWait(b.imImport(file, conn, fields...).ID, 2*time.Minute)
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
	r := b.admin(http.MethodPost, "/jobs/users-exports", map[string]any{"format": "json"})
	r.wantStatus(b.t, http.StatusOK)
	var created imJob
	r.decode(b.t, &created)
	j := b.imWait(created.ID, 2*time.Minute)
	if j.Status != "completed" || j.Location == "" {
		b.t.Fatalf("export %s: %s (%s)", j.ID, j.Status, j.StatusDetails)
	}
	resp, err := b.client.Get(j.Location)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.t.Fatalf("download: %d %v", resp.StatusCode, err)
	}
	return data
}

// imLines iterates over the users of an export file (gzip'd NDJSON, in
// user_id order) one at a time.
type imLines struct{ *testutil.UserLines }

// imRead starts reading an export file.
func imRead(t *testing.T, file []byte) *imLines { return &imLines{testutil.NewUserLines(t, file)} }

// next returns the next user without the attributes in drop, or nil at the end.
func (l *imLines) next(drop ...string) map[string]any { return l.Next(drop...) }

// imGunzip decompresses a gzip'd file.
func imGunzip(t *testing.T, data []byte) []byte { return testutil.Gunzip(t, data) }

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
