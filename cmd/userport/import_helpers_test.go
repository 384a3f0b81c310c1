package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
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

// imPart is one part of a multipart body: a field, or a file when file is set.
type imPart struct {
	name, value string
	file        []byte
}

// imField is a multipart field.
func imField(name, value string) imPart { return imPart{name: name, value: value} }

// imFile is the users file.
func imFile(data []byte) imPart { return imPart{name: "users", file: data} }

// imUpload posts a multipart import request with a token of scopes (every
// scope when none).
func (b *bundle) imUpload(parts []imPart, scopes ...string) *response {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, p := range parts {
		var err error
		if p.file != nil {
			var w io.Writer
			if w, err = mw.CreateFormFile(p.name, "users.json"); err == nil {
				_, err = w.Write(p.file)
			}
		} else {
			err = mw.WriteField(p.name, p.value)
		}
		if err != nil {
			b.t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		b.t.Fatal(err)
	}
	tok := b.all
	if len(scopes) > 0 {
		tok = b.token(scopes...)
	} else if tok == "" {
		b.all = b.token()
		tok = b.all
	}
	return b.request(http.MethodPost, "/api/v2/jobs/users-imports", body.Bytes(),
		"Content-Type", mw.FormDataContentType(), "Authorization", "Bearer "+tok)
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
	deadline := time.Now().Add(timeout)
	for {
		j := b.imGet(id)
		if j.Status == "completed" || j.Status == "failed" {
			return j
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("job %s still %s after %v", id, j.Status, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
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
type imError struct {
	User   json.RawMessage        `json:"user"`
	Errors []userport.ImportIssue `json:"errors"`
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

// imUsers reads an export file into its users by user_id, without the
// attributes named in drop.
func imUsers(t *testing.T, file []byte, drop ...string) map[string]map[string]any {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]map[string]any{}
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var u map[string]any
		if err := json.Unmarshal(sc.Bytes(), &u); err != nil {
			t.Fatalf("export line %q: %v", sc.Text(), err)
		}
		for _, k := range drop {
			delete(u, k)
		}
		id, _ := u["user_id"].(string)
		if _, dup := users[id]; dup {
			t.Fatalf("user %s twice in the export", id)
		}
		users[id] = u
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return users
}

// imSameUsers fails unless the two exports hold the same users, equal in
// every attribute but those in drop.
func imSameUsers(t *testing.T, want, got []byte, drop ...string) {
	t.Helper()
	w, g := imUsers(t, want, drop...), imUsers(t, got, drop...)
	if len(g) != len(w) {
		t.Fatalf("%d users, want %d", len(g), len(w))
	}
	diffs := 0
	for id, wu := range w {
		gu, ok := g[id]
		if !ok {
			t.Fatalf("user %s is missing", id)
		}
		if a, b := mustJSON(t, wu), mustJSON(t, gu); a != b {
			diffs++
			if diffs <= 3 {
				t.Errorf("user %s differs:\nwant %s\ngot  %s", id, a, b)
			}
		}
	}
	if diffs > 0 {
		t.Fatalf("%d of %d users differ", diffs, len(w))
	}
}

// imGunzip decompresses a gzip'd file.
func imGunzip(t *testing.T, data []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
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
