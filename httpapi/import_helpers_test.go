package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
)

// imPart is one part of a multipart body: a field, or a file when File is set.
type imPart = testutil.Part

// imField is a multipart field.
func imField(name, value string) imPart { return imPart{Name: name, Value: value} }

// imFile is the users file.
func imFile(data []byte) imPart { return imPart{Name: "users", File: data} }

// imUpload posts a multipart import request with a token of scopes (every
// scope when none).
func (b *env) imUpload(parts []imPart, scopes ...string) *response {
	b.t.Helper()
	body, contentType := testutil.Multipart(b.t, parts...)
	tok := b.adminToken()
	if len(scopes) > 0 {
		tok = b.token(scopes...)
	}
	return b.request(http.MethodPost, "/api/v2/jobs/users-imports", body,
		"Content-Type", contentType, "Authorization", "Bearer "+tok)
}

// imImport uploads file into the connection conn and returns the pending job.
func (b *env) imImport(file []byte, conn string, fields ...imPart) *job {
	b.t.Helper()
	r := b.imUpload(append([]imPart{imFile(file), imField("connection_id", conn)}, fields...))
	r.wantStatus(b.t, http.StatusAccepted)
	var j job
	r.decode(b.t, &j)
	return &j
}

// imRun imports file into conn and waits for the job to complete.
func (b *env) imRun(file []byte, conn string, fields ...imPart) *job {
	b.t.Helper()
	j := b.wait(b.imImport(file, conn, fields...).ID)
	if j.Status != "completed" {
		b.t.Fatalf("import %s: %s (%s)", j.ID, j.Status, j.StatusDetails)
	}
	return j
}

// imError is one entry of GET /jobs/{id}/errors.
type imError = userport.ImportError

// imErrors reads a job's per-user errors (none on 204).
func (b *env) imErrors(id string) []imError {
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
func (b *env) imExport() []byte {
	b.t.Helper()
	r := b.admin(http.MethodPost, "/jobs/users-exports", map[string]any{"format": "json"})
	r.wantStatus(b.t, http.StatusOK)
	var created job
	r.decode(b.t, &created)
	j := b.wait(created.ID)
	if j.Status != "completed" || j.Location == "" {
		b.t.Fatalf("export %s: %s (%s)", j.ID, j.Status, j.StatusDetails)
	}
	r = b.fetch(j.Location)
	r.wantStatus(b.t, http.StatusOK)
	return r.body
}

// imCompare walks two exports in step (both are in user_id order) and calls
// fn with each pair of users; it fails if one has more users.
func imCompare(t *testing.T, want, got []byte, fn func(w, g map[string]any), drop ...string) {
	t.Helper()
	wl, gl := testutil.NewUserLines(t, want), testutil.NewUserLines(t, got)
	for {
		w, g := wl.Next(drop...), gl.Next(drop...)
		if w == nil || g == nil {
			if w != nil || g != nil {
				t.Fatalf("the exports differ in length after %d users", wl.N)
			}
			return
		}
		fn(w, g)
	}
}

// imSameUsers fails unless the two exports hold the same users, equal in
// every attribute but those in drop.
func imSameUsers(t *testing.T, want, got []byte, drop ...string) {
	t.Helper()
	diffs, n := 0, 0
	imCompare(t, want, got, func(w, g map[string]any) {
		n++
		if a, b := mustJSON(t, w), mustJSON(t, g); a != b {
			diffs++
			if diffs <= 3 {
				t.Errorf("user %v differs:\nwant %s\ngot  %s", w["user_id"], a, b)
			}
		}
	}, drop...)
	if diffs > 0 {
		t.Fatalf("%d of %d users differ", diffs, n)
	}
}

// imArray turns an NDJSON file into a JSON array, one user per line.
func imArray(t *testing.T, ndjson []byte) []byte {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(string(ndjson), "\n"), "\n")
	return []byte("[\n" + strings.Join(lines, ",\n") + "\n]\n")
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
