package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"sync"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
)

// Import limits and defaults.
const (
	// DefaultMaxImportBytes caps an uploaded import file when
	// Server.MaxImportBytes is 0.
	DefaultMaxImportBytes = 1 << 30
	// DefaultDownloadTTL is how long a signed download URL stays valid
	// unless configured (Auth0 gives 60 s).
	DefaultDownloadTTL = 60 * time.Second
	// maxImportField caps each multipart field other than the file.
	maxImportField = 1 << 10
	// maxExternalID is the longest external_id.
	maxExternalID = 255
	// importErrorsPage is how many per-user errors are read at a time.
	importErrorsPage = 1000
)

// importFields are the multipart fields of an import besides the file.
// new_ids is a userport extension (docs/api.md).
var importFields = map[string]bool{"connection_id": true, "upsert": true, "external_id": true, "send_completion_email": true, "new_ids": true}

// routeImports adds the import endpoints (called by routeJobs).
func (s *Server) routeImports(mux *routeMux) {
	mux.Handle("POST /api/v2/jobs/users-imports", s.authorize(s.createImport, auth.ScopeCreateUsers))
	mux.Handle("GET /api/v2/jobs/{id}/errors", s.authorize(s.getJobErrors, auth.ScopeCreateUsers, auth.ScopeReadUsers))
}

// importJobBody is an import job as the Management API shows it.
type importJobBody struct {
	Type            userport.JobType        `json:"type"`
	Status          userport.JobStatus      `json:"status"`
	ConnectionID    string                  `json:"connection_id"`
	Connection      string                  `json:"connection"`
	CreatedAt       string                  `json:"created_at"`
	ID              string                  `json:"id"`
	ExternalID      string                  `json:"external_id,omitempty"`
	PercentageDone  *int                    `json:"percentage_done,omitempty"`
	TimeLeftSeconds *int                    `json:"time_left_seconds,omitempty"`
	Summary         *userport.ImportSummary `json:"summary,omitempty"`
	StatusDetails   string                  `json:"status_details,omitempty"`
}

// importJobJSON renders an import job with the given (effective) status.
func importJobJSON(job *userport.Job, status userport.JobStatus) importJobBody {
	b := importJobBody{Type: job.Type, Status: status, ConnectionID: job.ConnectionID, Connection: job.Connection,
		CreatedAt: userport.FormatTime(job.CreatedAt), ID: job.ID, ExternalID: job.ExternalID}
	switch status {
	case userport.JobProcessing:
		pct, left := job.PercentageDone, job.TimeLeftSeconds
		b.PercentageDone, b.TimeLeftSeconds = &pct, &left
	case userport.JobCompleted:
		b.Summary = job.Summary
	case userport.JobFailed:
		b.Summary, b.StatusDetails = job.Summary, job.StatusDetails
	}
	return b
}

// createImport handles POST /api/v2/jobs/users-imports: a slot of the
// tenant's imports is reserved, the file streams into the blob store, then
// the job and its River job are written in one transaction. Answers 202 with
// the pending job.
func (s *Server) createImport(w http.ResponseWriter, r *http.Request) error {
	release, err := s.reserveImport(w, r)
	if err != nil {
		return err
	}
	defer release()
	job := userport.NewJob(s.Tenant, userport.JobUsersImport, s.Clock.Now())
	job.UploadKey = userport.ImportUploadKey(job.ID)
	created := false
	defer func() {
		if !created { // nothing of a refused upload is kept
			_ = s.Blobs.Delete(context.WithoutCancel(r.Context()), job.UploadKey)
		}
	}()
	form, err := s.readImportForm(w, r, job.UploadKey)
	if err != nil {
		return err
	}
	if err := s.importParams(r, form, job); err != nil {
		return err
	}
	err = s.Store.CreateImportJob(r.Context(), job, form.size, s.maxImports(), func(ctx context.Context, tx userport.Tx) error {
		return s.Queue.EnqueueTx(ctx, tx, job)
	})
	if userport.ErrorCode(err) == userport.ETOOMANY {
		s.limitReached(w, s.maxImports())
	}
	if err != nil {
		return err
	}
	created = true
	s.logger(r).Info("import job created", "job_id", job.ID, "bytes", form.size)
	writeJSON(w, http.StatusAccepted, importJobJSON(job, job.Status))
	return nil
}

// maxImports is the tenant's limit of imports in flight.
func (s *Server) maxImports() int {
	if s.MaxImportsPerTenant > 0 {
		return s.MaxImportsPerTenant
	}
	return userport.DefaultMaxImportsPerTenant
}

// maxImportBytes is the largest import file.
func (s *Server) maxImportBytes() int64 {
	if s.MaxImportBytes > 0 {
		return s.MaxImportBytes
	}
	return DefaultMaxImportBytes
}

// uploadSlots counts the imports of this server's tenant whose file is being
// uploaded: they have no job row yet.
type uploadSlots struct {
	mu sync.Mutex
	n  int
}

// reserveImport reserves one of the tenant's import slots before the file is
// streamed: the imports pending or processing in the store plus the uploads
// under way in this process stay under the limit, so a burst of uploads gets
// its 429s at once instead of after streaming. release frees the slot once
// the job is written (it then counts in the store) or refused. The count is
// per process: with several API nodes, each may stream up to the limit, and
// CreateImportJob's atomic check still bounds the jobs.
func (s *Server) reserveImport(w http.ResponseWriter, r *http.Request) (release func(), err error) {
	s.uploads.mu.Lock()
	defer s.uploads.mu.Unlock()
	n, err := s.Store.CountJobs(r.Context(), userport.JobFilter{Tenant: s.Tenant, Type: userport.JobUsersImport,
		Statuses: userport.ActiveJobStatuses})
	if err != nil {
		return nil, err
	}
	if n+s.uploads.n >= s.maxImports() {
		s.limitReached(w, s.maxImports())
		return nil, userport.TooManyImports(s.maxImports())
	}
	s.uploads.n++
	return func() {
		s.uploads.mu.Lock()
		defer s.uploads.mu.Unlock()
		s.uploads.n--
	}, nil
}

// importForm is what the multipart body of an import held.
type importForm struct {
	fields map[string]string
	size   int64 // bytes of the users file; -1 when there was none
}

// readImportForm reads the multipart body: the users file streams into the
// blob store under key (never into memory), the other fields are small.
func (s *Server) readImportForm(w http.ResponseWriter, r *http.Request, key string) (*importForm, error) {
	r.Body = http.MaxBytesReader(w, r.Body, s.maxImportBytes()+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, invalidBody("'Expected a multipart/form-data body'.")
	}
	f := &importForm{fields: map[string]string{}, size: -1}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return f, nil
		} else if err != nil {
			return nil, s.bodyError(err)
		}
		if err := s.readImportPart(r.Context(), part, key, f); err != nil {
			return nil, err
		}
	}
}

// readImportPart reads one part of the form into f.
func (s *Server) readImportPart(ctx context.Context, part *multipart.Part, key string, f *importForm) error {
	defer part.Close()
	name := part.FormName()
	switch {
	case name == "users" && f.size < 0:
		n, err := s.storeUpload(ctx, part, key)
		f.size = n
		return err
	case importFields[name] && !hasKey(f.fields, name):
		v, err := io.ReadAll(io.LimitReader(part, maxImportField+1))
		if err != nil {
			return s.bodyError(err)
		}
		if len(v) > maxImportField {
			return invalidBody("'String is too long (%d chars), maximum %d' on property %s.", len(v), maxImportField, name)
		}
		f.fields[name] = string(v)
		return nil
	case name == "users" || importFields[name]:
		return invalidBody("'Duplicate property: %s'.", name)
	}
	return invalidBody("'Additional properties not allowed: %s'.", name)
}

// hasKey reports whether m has key.
func hasKey(m map[string]string, key string) bool {
	_, ok := m[key]
	return ok
}

// storeUpload streams the file into the blob store and commits it, unless it
// is empty or over the maximum.
func (s *Server) storeUpload(ctx context.Context, part io.Reader, key string) (int64, error) {
	bw, err := s.Blobs.Create(ctx, key)
	if err != nil {
		return 0, err
	}
	max := s.maxImportBytes()
	n, err := io.Copy(bw, io.LimitReader(part, max+1))
	switch {
	case err != nil:
		_ = bw.Abort()
		return 0, s.bodyError(err)
	case n > max:
		_ = bw.Abort()
		return 0, s.tooLarge()
	case n == 0:
		_ = bw.Abort()
		return 0, invalidBody("'Empty file' on property users.")
	}
	if err := bw.Commit(); err != nil {
		return 0, err
	}
	return n, nil
}

// bodyError is the answer to a request body that could not be read.
func (s *Server) bodyError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return s.tooLarge()
	}
	return invalidBody("'Could not read the multipart body: %v'.", err)
}

// tooLarge is the 413 of a file over the maximum, in Auth0's words.
func (s *Server) tooLarge() error {
	return userport.Errorf(userport.ETOOLARGE, "", "Payload content length greater than maximum allowed: %d", s.maxImportBytes())
}

// importParams checks the form's fields into job.
func (s *Server) importParams(r *http.Request, f *importForm, job *userport.Job) error {
	if f.size < 0 {
		return invalidBody("'Missing required property: users'.")
	}
	conn, ok := f.fields["connection_id"]
	if !ok {
		return invalidBody("'Missing required property: connection_id'.")
	}
	if !userport.ValidConnectionID(conn) {
		return invalidBody("'String does not match pattern ^con_[A-Za-z0-9]{16}$: %s' on property connection_id.", userport.Excerpt(conn))
	}
	if err := firstError(formBool(f, "upsert", &job.Upsert), formBool(f, "send_completion_email", &job.SendEmail),
		formBool(f, "new_ids", &job.NewIDs), externalID(f, &job.ExternalID)); err != nil {
		return err
	}
	c, err := s.Store.FindConnection(r.Context(), s.Tenant, conn)
	if userport.ErrorCode(err) == userport.ENOTFOUND {
		return userport.Errorf(userport.EINVALID, "inexistent_connection", "The connection does not exist.")
	} else if err != nil {
		return err
	}
	if c.Strategy != "auth0" {
		return invalidBody("'The connection must be a database connection' on property connection_id.")
	}
	job.ConnectionID, job.Connection = c.ID, c.Name
	return nil
}

// formBool reads a "true"/"false" field into dst; absent fields leave it.
func formBool(f *importForm, name string, dst *bool) error {
	v, ok := f.fields[name]
	switch {
	case !ok:
		return nil
	case v == "true":
		*dst = true
	case v == "false":
		*dst = false
	default:
		return invalidBody("'Expected type boolean but found type string' on property %s.", name)
	}
	return nil
}

// externalID reads external_id, at most 255 characters. An empty value
// means none: go-auth0's Job.ImportUsers always sends the field, empty when
// unset, and Auth0 accepts that.
func externalID(f *importForm, dst *string) error {
	v := f.fields["external_id"]
	if v == "" {
		return nil
	}
	if n := userport.StringLength(v); n > maxExternalID {
		return invalidBody("'String length %d is outside 1 to %d' on property external_id.", n, maxExternalID)
	}
	*dst = v
	return nil
}

// getJobErrors handles GET /api/v2/jobs/{id}/errors: the per-user errors of
// an import, 204 when there are none (and for other jobs).
func (s *Server) getJobErrors(w http.ResponseWriter, r *http.Request) error {
	job, err := s.findLiveJob(r)
	if err != nil {
		return err
	}
	var page []*userport.ImportError
	if job.Type == userport.JobUsersImport {
		if page, err = s.Store.ListImportErrors(r.Context(), s.Tenant, job.ID, -1, importErrorsPage); err != nil {
			return err
		}
	}
	if len(page) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if err := s.streamErrors(r.Context(), w, job, page); err != nil {
		// The status is sent: all that is left is to cut the answer short.
		s.logger(r).Error("stream import errors", "job_id", job.ID, "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// findLiveJob reads the {id} job, 404 once purged.
func (s *Server) findLiveJob(r *http.Request) (*userport.Job, error) {
	id := r.PathValue("id")
	if !userport.ValidJobID(id) {
		return nil, userport.Errorf(userport.EINVALID, "invalid_uri",
			"Path validation error: 'String does not match pattern ^job_[A-Za-z0-9]{16}$: %s' on property id (The id of the job).", userport.Excerpt(id))
	}
	job, err := s.Store.FindJob(r.Context(), s.Tenant, id)
	if err != nil {
		return nil, err
	}
	if _, purged := s.Lifetimes.StatusAt(job, s.Clock.Now()); purged {
		return nil, userport.ErrJobNotFound()
	}
	return job, nil
}

// streamErrors writes the JSON array of a job's errors, page after page, so
// that memory stays bounded whatever their number.
func (s *Server) streamErrors(ctx context.Context, w io.Writer, job *userport.Job, page []*userport.ImportError) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	sep := "["
	for len(page) > 0 {
		for _, e := range page {
			if _, err := bw.WriteString(sep); err != nil {
				return err
			}
			if err := enc.Encode(e); err != nil {
				return fmt.Errorf("record %d: %w", e.Record, err)
			}
			sep = ","
		}
		if len(page) < importErrorsPage {
			break
		}
		var err error
		if page, err = s.Store.ListImportErrors(ctx, s.Tenant, job.ID, page[len(page)-1].Record, importErrorsPage); err != nil {
			return err
		}
	}
	if _, err := bw.WriteString("]"); err != nil {
		return err
	}
	return bw.Flush()
}
