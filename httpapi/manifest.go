package httpapi

import (
	"cmp"
	"net/http"

	"github.com/userport/userport"
)

// manifestBody is the manifest of a completed export (a userport
// extension): what its file holds, how to check it, and the cursor its next
// incremental export starts from.
type manifestBody struct {
	Rows         int64            `json:"rows"`
	Tombstones   int64            `json:"tombstones"`
	Bytes        int64            `json:"bytes"`
	SHA256       string           `json:"sha256"`
	Format       userport.Format  `json:"format"`
	Fields       []userport.Field `json:"fields"`
	FieldCounts  []fieldCount     `json:"field_counts"`
	Q            *string          `json:"q"`
	ChangesSince *string          `json:"changes_since"`
	Cursor       *string          `json:"cursor"`
	CreatedAt    string           `json:"created_at"`
	CompletedAt  string           `json:"completed_at"`
}

// fieldCount is how many exported users had a value (present, not null) in
// one column: the field's export_as, or its name.
type fieldCount struct {
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

// getManifest handles GET /api/v2/jobs/{id}/manifest: 404 inexistent_job
// for no such job of this tenant, 409 for an import or an export that is
// not completed. An expired export (its file deleted) keeps its manifest:
// its cursor still starts an incremental export.
func (s *Server) getManifest(w http.ResponseWriter, r *http.Request) error {
	job, err := s.findLiveJob(r)
	if err != nil {
		return err
	}
	if job.Type != userport.JobUsersExport {
		return userport.Errorf(userport.ECONFLICT, "", "The job is an import: only exports have a manifest.")
	}
	switch status, _ := s.Lifetimes.StatusAt(job, s.Clock.Now()); status {
	case userport.JobPending, userport.JobProcessing:
		return userport.Errorf(userport.ECONFLICT, "", "The export is %s: its manifest is ready once it is completed.", status)
	case userport.JobFailed:
		return userport.Errorf(userport.ECONFLICT, "", "The export failed: only a completed export has a manifest.")
	}
	writeJSON(w, http.StatusOK, s.manifestJSON(job))
	return nil
}

// manifestJSON is the manifest of a completed export.
func (s *Server) manifestJSON(job *userport.Job) manifestBody {
	b := manifestBody{Rows: job.Rows, Tombstones: job.Tombstones, Bytes: job.FileBytes, SHA256: job.SHA256,
		Format: job.Format, Fields: job.Fields, FieldCounts: []fieldCount{},
		Q: optional(job.Query), ChangesSince: optional(job.ChangesSince),
		CreatedAt: userport.FormatTime(job.CreatedAt), CompletedAt: userport.FormatTime(job.CompletedAt)}
	if b.Fields == nil {
		b.Fields = []userport.Field{}
	}
	for i, f := range job.Fields {
		if i < len(job.FieldCounts) {
			b.FieldCounts = append(b.FieldCounts, fieldCount{Name: cmp.Or(f.ExportAs, f.Name), Count: job.FieldCounts[i]})
		}
	}
	if job.HasMark {
		c := userport.Cursor{Tenant: job.Tenant, Low: job.Mark.Low, At: job.MarkAt}.Encode(s.CursorKey)
		b.Cursor = &c
	}
	return b
}

// optional is s, or nil (JSON null) when it is empty.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
