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

// imLines iterates over the users of an export file (gzip'd NDJSON, in
// user_id order) one at a time: memory does not grow with the file.
type imLines struct {
	t  *testing.T
	sc *bufio.Scanner
	n  int
}

// imRead starts reading an export file.
func imRead(t *testing.T, file []byte) *imLines {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 1<<20)
	return &imLines{t: t, sc: sc}
}

// next returns the next user without the attributes in drop, or nil at the end.
func (l *imLines) next(drop ...string) map[string]any {
	l.t.Helper()
	if !l.sc.Scan() {
		if err := l.sc.Err(); err != nil {
			l.t.Fatal(err)
		}
		return nil
	}
	var u map[string]any
	if err := json.Unmarshal(l.sc.Bytes(), &u); err != nil {
		l.t.Fatalf("export line %q: %v", l.sc.Text(), err)
	}
	for _, k := range drop {
		delete(u, k)
	}
	l.n++
	return u
}

// imCompare walks two exports in step (both are in user_id order) and calls
// fn with each pair of users; it fails if one has more users.
func imCompare(t *testing.T, want, got []byte, fn func(w, g map[string]any), drop ...string) {
	t.Helper()
	wl, gl := imRead(t, want), imRead(t, got)
	for {
		w, g := wl.next(drop...), gl.next(drop...)
		if w == nil || g == nil {
			if w != nil || g != nil {
				t.Fatalf("the exports differ in length after %d users", wl.n)
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
