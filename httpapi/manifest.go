package httpapi

import (
	"net/http"

	"github.com/userport/userport"
)

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
	writeJSON(w, http.StatusOK, job.Manifest(s.CursorKey))
	return nil
}
