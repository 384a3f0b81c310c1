package httpapi

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
	"github.com/userport/userport/encode"
	"github.com/userport/userport/fieldpath"
)

// Queue enqueues a job's work inside the store transaction that writes the job.
type Queue interface {
	EnqueueTx(ctx context.Context, tx userport.Tx, job *userport.Job) error
}

// Export body rules.
const (
	maxExportFields = 30
	maxFieldLength  = 100
)

// containers are the profile attributes that are objects or arrays as a whole:
// a CSV cell cannot hold them.
var containers = map[string]bool{"user_metadata": true, "app_metadata": true, "identities": true}

// routeJobs adds the jobs endpoints.
func (s *Server) routeJobs(mux *routeMux) {
	mux.Handle("POST /api/v2/jobs/users-exports", s.authorize(s.createExport, auth.ScopeReadUsers))
	// Any job for either scope, as Auth0; but an export job only for
	// read:users, which its location downloads (see getJob).
	mux.Handle("GET /api/v2/jobs/{id}", s.authorize(s.getJob, auth.ScopeReadUsers, auth.ScopeCreateUsers))
	mux.Handle("GET /api/v2/jobs", s.authorize(s.listJobs, auth.ScopeReadUsers))
	mux.Handle("GET /api/v2/jobs/{id}/manifest", s.authorize(s.getManifest, auth.ScopeReadUsers))
	s.routeImports(mux)
}

// jobBody is a job as the Management API shows it, keys in Auth0's order.
type jobBody struct {
	Type            userport.JobType   `json:"type"`
	Status          userport.JobStatus `json:"status"`
	ConnectionID    string             `json:"connection_id,omitempty"`
	Format          userport.Format    `json:"format,omitempty"`
	Limit           int                `json:"limit,omitempty"`
	Fields          []userport.Field   `json:"fields,omitempty"`
	Connection      string             `json:"connection,omitempty"`
	CreatedAt       string             `json:"created_at"`
	ID              string             `json:"id"`
	PercentageDone  *int               `json:"percentage_done,omitempty"`
	TimeLeftSeconds *int               `json:"time_left_seconds,omitempty"`
	Location        string             `json:"location,omitempty"`
	StatusDetails   string             `json:"status_details,omitempty"`
}

// createExport handles POST /api/v2/jobs/users-exports.
func (s *Server) createExport(w http.ResponseWriter, r *http.Request) error {
	o, err := readObject(w, r, "connection_id", "format", "limit", "fields", "q", "changes_since")
	if err != nil {
		return err
	}
	job, err := s.newExportJob(r, o)
	if err != nil {
		return err
	}
	err = s.Store.CreateJob(r.Context(), job, s.maxPendingExports(), func(ctx context.Context, tx userport.Tx) error {
		return s.Queue.EnqueueTx(ctx, tx, job)
	})
	if userport.ErrorCode(err) == userport.ETOOMANY {
		s.limitReached(w, s.maxPendingExports())
	}
	if err != nil {
		return err
	}
	s.logger(r).Info("export job created", "job_id", job.ID, "format", job.Format)
	writeJSON(w, http.StatusOK, s.jobJSON(job, job.Status))
	return nil
}

// DefaultMaxPendingExportsPerTenant is how many exports of a tenant may be
// pending or processing when Server.MaxPendingExportsPerTenant is 0: each
// keeps a file for a day, so an unbounded queue would let any read:users
// client fill the disk.
const DefaultMaxPendingExportsPerTenant = 20

// maxPendingExports is the tenant's limit of exports pending or processing.
func (s *Server) maxPendingExports() int {
	return cmp.Or(s.MaxPendingExportsPerTenant, DefaultMaxPendingExportsPerTenant)
}

// downloadTTL is how long a signed download URL stays valid.
func (s *Server) downloadTTL() time.Duration {
	return cmp.Or(s.DownloadTTL, DefaultDownloadTTL)
}

// newExportJob validates an export request body into a pending job.
func (s *Server) newExportJob(r *http.Request, o object) (*userport.Job, error) {
	job := userport.NewJob(s.Tenant, userport.JobUsersExport, s.Clock.Now())
	job.Format = userport.FormatJSON
	var format string
	if err := firstError(o.str("connection_id", &job.ConnectionID, 0), o.str("format", &format, 0),
		o.integer("limit", &job.Limit, 1)); err != nil {
		return nil, err
	}
	if err := s.exportConnection(r, job); err != nil {
		return nil, err
	}
	if o.has("format") {
		if !userport.Format(format).Valid() {
			return nil, invalidBody("'No enum match for: \"%s\"' on property format.", userport.Excerpt(format))
		}
		job.Format = userport.Format(format)
	}
	fields, err := readFields(o, job.Format)
	if err != nil {
		return nil, err
	}
	job.Fields = fields
	if len(fields) == 0 && job.Format != userport.FormatJSON {
		job.Fields = encode.DefaultCSVFields() // CSV's and Parquet's default
	}
	if err := firstError(readExportQuery(o, job), s.readChangesSince(r.Context(), o, job)); err != nil {
		return nil, err
	}
	return job, nil
}

// exportConnection checks connection_id and records the connection's name.
func (s *Server) exportConnection(r *http.Request, job *userport.Job) error {
	if job.ConnectionID == "" {
		return nil
	}
	if !userport.ValidConnectionID(job.ConnectionID) {
		return invalidBody("'String does not match pattern ^con_[A-Za-z0-9]{16}$: %s' on property connection_id.", userport.Excerpt(job.ConnectionID))
	}
	c, err := s.Store.FindConnection(r.Context(), s.Tenant, job.ConnectionID)
	if userport.ErrorCode(err) == userport.ENOTFOUND {
		return userport.Errorf(userport.EINVALID, "inexistent_connection", "The connection does not exist.")
	} else if err != nil {
		return err
	}
	job.Connection = c.Name
	return nil
}

// readFields validates the `fields` array.
func readFields(o object, format userport.Format) ([]userport.Field, error) {
	raw, ok := o["fields"]
	if !ok {
		return nil, nil
	}
	var items []json.RawMessage
	if jsonType(raw) != "array" || json.Unmarshal(raw, &items) != nil {
		return nil, typeError("fields", "array", raw)
	}
	if len(items) == 0 {
		return nil, invalidBody("'Array is too short (0), minimum 1' on property fields.")
	} else if len(items) > maxExportFields {
		return nil, invalidBody("'Array is too long (%d), maximum %d' on property fields.", len(items), maxExportFields)
	}
	fields := make([]userport.Field, len(items))
	seen := map[string]bool{}
	for i, item := range items {
		f, err := readField(item, fmt.Sprintf("fields[%d]", i), format)
		if err != nil {
			return nil, err
		}
		key := f.ExportAs
		if key == "" {
			key = f.Name
		}
		if seen[key] {
			return nil, invalidBody("'Duplicate field: %s' on property fields[%d].", key, i)
		}
		seen[key], fields[i] = true, f
	}
	return fields, checkPlaces(format, fields)
}

// readField validates one item of `fields`.
func readField(raw json.RawMessage, prop string, format userport.Format) (userport.Field, error) {
	var f userport.Field
	if jsonType(raw) != "object" {
		return f, typeError(prop, "object", raw)
	}
	o, err := parseObject(raw, []string{"name", "export_as"})
	if err != nil {
		return f, invalidBody("%s on property %s.", trimPrefix(err), prop)
	}
	if err := firstError(o.requireAt(prop, "name"), o.strAt("name", prop+".name", &f.Name, maxFieldLength),
		o.strAt("export_as", prop+".export_as", &f.ExportAs, maxFieldLength)); err != nil {
		return f, err
	}
	p, err := fieldpath.Parse(f.Name)
	if err != nil {
		reason := strings.TrimPrefix(err.Error(), fmt.Sprintf("field path %q: ", f.Name))
		return f, invalidBody("'Invalid field path %q: %s' on property %s.name.", f.Name, reason, prop)
	}
	if format == userport.FormatCSV && isContainer(p) {
		return f, invalidBody("'%s is an object or an array and cannot be exported to CSV' on property %s.name.", f.Name, prop)
	}
	return f, nil
}

// checkPlaces refuses fields the encoder cannot write together (in NDJSON, two
// fields writing the same place), naming the first field that conflicts.
func checkPlaces(format userport.Format, fields []userport.Field) error {
	if encode.Validate(format, fields) == nil {
		return nil
	}
	for i := range fields {
		if err := encode.Validate(format, fields[:i+1]); err != nil {
			return invalidBody("'%v' on property fields[%d].", err, i)
		}
	}
	return nil
}

// isContainer reports whether p names a whole object or array of the profile.
func isContainer(p fieldpath.Path) bool {
	if p.IsRoot() {
		return containers[p.Root()]
	}
	// identities[n] is one identity: an object.
	return p.Len() == 2 && p.Root() == "identities" && p.Segment(1).IsIndex()
}

// trimPrefix strips "Payload validation error: " and a trailing "." from a
// nested validation message, so it can be re-attributed to a property.
func trimPrefix(err error) string {
	msg := userport.ErrorMessage(err)
	const prefix = "Payload validation error: "
	if len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
		msg = msg[len(prefix):]
	}
	if n := len(msg); n > 0 && msg[n-1] == '.' {
		msg = msg[:n-1]
	}
	return msg
}

// getJob handles GET /api/v2/jobs/{id}. An export job needs read:users: with
// create:users alone (enough for an import job) it is 403 insufficient_scope,
// since its location hands out every user.
func (s *Server) getJob(w http.ResponseWriter, r *http.Request) error {
	job, err := s.findLiveJob(r)
	if err != nil {
		return err
	}
	if job.Type == userport.JobUsersExport {
		if err := requireScope(requestClaims(r), auth.ScopeReadUsers); err != nil {
			return err
		}
	}
	status, _ := s.Lifetimes.StatusAt(job, s.Clock.Now())
	// A link never outlives the file: it expires with the job at the latest.
	left := job.CreatedAt.Add(s.Lifetimes.File).Sub(s.Clock.Now())
	if status == userport.JobCompleted && job.Type == userport.JobUsersExport && left <= 0 {
		status = userport.JobExpired
	}
	if job.Type == userport.JobUsersImport {
		writeJSON(w, http.StatusOK, importJobJSON(job, status))
		return nil
	}
	body := s.jobJSON(job, status)
	if status == userport.JobCompleted && job.Type == userport.JobUsersExport {
		if body.Location, err = s.Blobs.SignedURL(r.Context(), job.FileKey, min(s.downloadTTL(), left), job.SHA256); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// listJobs handles GET /api/v2/jobs, a userport extension: the tenant's jobs
// that are not purged yet, newest first, paged as Auth0 pages users. Export
// jobs come without location: GET /api/v2/jobs/{id} signs one.
func (s *Server) listJobs(w http.ResponseWriter, r *http.Request) error {
	q, err := readQuery(r, "page", "per_page", "include_totals")
	if err != nil {
		return err
	}
	page, perPage, totals, err := readPaging(q)
	if err != nil {
		return err
	}
	now := s.Clock.Now()
	f := userport.JobFilter{Tenant: s.Tenant, CreatedAfter: now.Add(-s.Lifetimes.Record),
		NewestFirst: true, Limit: perPage, Offset: page * perPage}
	jobs, err := s.Store.ListJobs(r.Context(), f)
	if err != nil {
		return err
	}
	items := make([]any, len(jobs))
	for i, job := range jobs {
		status, _ := s.Lifetimes.StatusAt(job, now)
		if job.Type == userport.JobUsersImport {
			items[i] = importJobJSON(job, status)
		} else {
			items[i] = s.jobJSON(job, status)
		}
	}
	if !totals {
		writeJSON(w, http.StatusOK, items)
		return nil
	}
	f.Limit, f.Offset = 0, 0
	total, err := s.Store.CountJobs(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf("jobs", page*perPage, perPage, len(items), total, items))
	return nil
}

// jobJSON renders job with the given (effective) status.
func (s *Server) jobJSON(job *userport.Job, status userport.JobStatus) jobBody {
	b := jobBody{Type: job.Type, Status: status, ConnectionID: job.ConnectionID, Format: job.Format,
		Limit: job.Limit, Fields: job.Fields, Connection: job.Connection,
		CreatedAt: userport.FormatTime(job.CreatedAt), ID: job.ID}
	switch status {
	case userport.JobProcessing:
		pct, left := job.PercentageDone, job.TimeLeftSeconds
		b.PercentageDone, b.TimeLeftSeconds = &pct, &left
	case userport.JobFailed:
		b.StatusDetails = job.StatusDetails
	}
	return b
}
