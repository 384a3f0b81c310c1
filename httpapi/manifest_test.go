package httpapi_test

// GET /api/v2/jobs/{id}/manifest (issue 21): what a completed export's file
// holds, checked against the file downloaded, and every refusal.

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/jobs"
)

// manifestKeys are a manifest's keys, in order.
var manifestKeys = []string{"rows", "tombstones", "bytes", "sha256", "format", "fields", "field_counts",
	"q", "changes_since", "cursor", "created_at", "completed_at"}

// manifestOf reads the manifest of job id, failing unless it is 200.
func (e *env) manifestOf(id string) *userport.ExportManifest {
	e.t.Helper()
	r := e.admin(http.MethodGet, "/jobs/"+id+"/manifest", nil)
	r.wantStatus(e.t, http.StatusOK)
	exWantKeys(e.t, r.body, manifestKeys...)
	var m userport.ExportManifest
	r.decode(e.t, &m)
	return &m
}

// fileManifest reads the manifest of the completed export j, failing
// unless its bytes and sha256 are those of the file downloaded, and its
// sha256 the download's ETag.
func (e *env) fileManifest(j *job) *userport.ExportManifest {
	e.t.Helper()
	m := e.manifestOf(j.ID)
	raw := e.fetch(j.Location)
	raw.wantStatus(e.t, 200)
	sum := sha256.Sum256(raw.body)
	if m.SHA256 != hex.EncodeToString(sum[:]) || m.Bytes != int64(len(raw.body)) {
		e.t.Errorf("manifest: %d bytes, sha256 %s; the file downloaded: %d bytes, sha256 %x", m.Bytes, m.SHA256, len(raw.body), sum)
	}
	if etag := raw.header.Get("ETag"); etag != `"`+m.SHA256+`"` {
		e.t.Errorf("the download's ETag %s, want the manifest's sha256 %s", etag, m.SHA256)
	}
	return m
}

// workWithChanges starts the workers over the changeFake of the server's
// store, whose watermark they record.
func (e *env) workWithChanges() {
	e.work(func(_ *jobs.Config, deps *jobs.Deps) { deps.Store = e.Server.Store })
}

func TestManifest(t *testing.T) {
	t.Parallel()
	mark := userport.Watermark{Low: 7, High: 9}
	b := setup(t, withChanges(mark, 0))
	b.seed(25)
	created := b.Clock.Now()
	j := b.exCreate(`{"format":"csv","fields":[{"name":"user_id"},{"name":"email","export_as":"mail"},{"name":"user_metadata.nothing"}]}`)
	b.admin("GET", "/jobs/"+j.ID+"/manifest", nil).wantError(t, 409, "", "The export is pending: its manifest is ready once it is completed.")
	b.workWithChanges()
	done := b.completed(j.ID)
	m := b.fileManifest(done)
	if m.Rows != 25 || m.Tombstones != 0 || m.Format != "csv" || len(m.Fields) != 3 || m.Fields[1] != (userport.Field{Name: "email", ExportAs: "mail"}) {
		t.Errorf("manifest %+v", m)
	}
	if m.Q != nil || m.ChangesSince != nil || m.CreatedAt != userport.FormatTime(created) || m.CompletedAt == "" {
		t.Errorf("manifest: q %v, changes_since %v, created_at %s (want %s), completed_at %s", m.Q, m.ChangesSince, m.CreatedAt, userport.FormatTime(created), m.CompletedAt)
	}
	if m.Cursor == nil {
		t.Fatal("no cursor")
	}
	c, err := userport.ParseCursor(*m.Cursor, testCursorKey)
	stored, _ := b.storedJob(j.ID)
	if err != nil || c.Tenant != tenant || c.Low != mark.Low || !c.At.Equal(stored.MarkAt) || stored.MarkAt.IsZero() {
		t.Errorf("cursor %+v, %v; want the tenant, Low %d and the time the watermark was taken (%v)", c, err, mark.Low, stored.MarkAt)
	}

	// A file its limit cut short is not the tenant at any point: no cursor.
	limited := b.exCreate(`{"format":"json","limit":25,"q":"email:*"}`)
	b.completed(limited.ID)
	if ml := b.manifestOf(limited.ID); ml.Cursor != nil || ml.Q == nil || *ml.Q != "email:*" {
		t.Errorf("limited export's manifest: cursor %v, q %v; want none and email:*", ml.Cursor, ml.Q)
	}

	// An expired export keeps its manifest (its file is gone, not its cursor).
	b.advance(25 * time.Hour)
	if got := b.manifestOf(j.ID); got.Cursor == nil || *got.Cursor != *m.Cursor {
		t.Errorf("expired export's cursor %v, want %s", got.Cursor, *m.Cursor)
	}
}

func TestManifestRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	exp := b.exCreate(`{"format":"json"}`)
	imp := userport.NewJob(tenant, userport.JobUsersImport, b.Clock.Now())
	must(t, b.Store.CreateJob(b.ctx(), imp, 0, nil))
	other := b.otherTenant("other")
	for _, c := range []struct {
		e         *env
		id        string
		status    int
		code, msg string
	}{
		{b, "job_0000000000000000", 404, "inexistent_job", "The job does not exist."},
		{other, exp.ID, 404, "inexistent_job", "The job does not exist."}, // another tenant's
		{b, "job_1", 400, "invalid_uri", "Path validation error: 'String does not match pattern ^job_[A-Za-z0-9]{16}$: job_1' on property id (The id of the job)."},
		{b, imp.ID, 409, "", "The job is an import: only exports have a manifest."},
		{b, exp.ID, 409, "", "The export is pending: its manifest is ready once it is completed."},
	} {
		c.e.admin("GET", "/jobs/"+c.id+"/manifest", nil).wantError(t, c.status, c.code, c.msg)
	}
	// A failed export has no file, so no manifest.
	_, err := b.Store.UpdateJob(b.ctx(), tenant, exp.ID, func(j *userport.Job) error {
		j.Status, j.StatusDetails = userport.JobFailed, "The export failed: disk full."
		return nil
	})
	must(t, err)
	b.admin("GET", "/jobs/"+exp.ID+"/manifest", nil).wantError(t, 409, "", "The export failed: only a completed export has a manifest.")
}
