package userport

import (
	"context"
	"errors"
	"time"
)

// JobType is the kind of a job, as Auth0 names it in the `type` key.
type JobType string

// Job types.
const (
	JobUsersExport JobType = "users_export"
	JobUsersImport JobType = "users_import"
)

// JobStatus is the state of a job.
type JobStatus string

// Job statuses. A job moves pending -> processing -> completed | failed; a
// completed export becomes expired once its file is deleted.
const (
	JobPending    JobStatus = "pending"
	JobProcessing JobStatus = "processing"
	JobCompleted  JobStatus = "completed"
	JobFailed     JobStatus = "failed"
	JobExpired    JobStatus = "expired"
)

// Format is an export file format.
type Format string

// Export formats. FormatJSON is NDJSON: one user object per line.
const (
	FormatCSV  Format = "csv"
	FormatJSON Format = "json"
)

// Field is one exported attribute: a path into the user profile
// ("email", "user_metadata.consent.given", "identities[0].connection") and the
// optional name it is exported as.
type Field struct {
	Name     string `json:"name"`
	ExportAs string `json:"export_as,omitempty"`
}

// ImportSummary counts the outcome of an import job.
type ImportSummary struct {
	Failed   int64 `json:"failed"`
	Updated  int64 `json:"updated"`
	Inserted int64 `json:"inserted"`
	Total    int64 `json:"total"`
}

// Job is an asynchronous export or import of a tenant's users.
type Job struct {
	Tenant       string
	ID           string // "job_" + 16 alphanumerics
	Type         JobType
	Status       JobStatus
	ConnectionID string // "" for all connections (exports only)
	Connection   string // the connection's name, when ConnectionID is set

	// Export parameters.
	Format Format
	Limit  int     // 0: no limit
	Fields []Field // the effective list

	// Import parameters.
	Upsert     bool
	NewIDs     bool // drop the file's user ids: every user gets a new one (a userport extension)
	ExternalID string
	SendEmail  bool
	Summary    *ImportSummary
	UploadKey  string // blob key of the uploaded import file

	CreatedAt   time.Time
	StartedAt   time.Time // zero until processing
	CompletedAt time.Time // zero until completed or failed

	// The worker running a processing export, and when it last wrote its
	// progress: an export whose heartbeat is older than a minute or so lost
	// its worker, and another worker takes it over. Internal, never shown.
	Runner      string
	HeartbeatAt time.Time

	PercentageDone  int
	TimeLeftSeconds int
	StatusDetails   string // why a job failed

	// Result of a completed export.
	FileKey   string // blob key of the export file
	FileName  string // "{tenant}.csv.gz"
	Rows      int64
	FileBytes int64
}

// JobFilter selects jobs across tenants, for the cleanup, the limits and
// the tenant's list of jobs.
type JobFilter struct {
	Tenant        string      // "" for all tenants
	Type          JobType     // "" for all types
	Statuses      []JobStatus // empty for all
	CreatedBefore time.Time   // zero for no bound
	CreatedAfter  time.Time   // zero for no bound (inclusive: created at or after it)
	Limit         int         // 0 for no limit
	Offset        int         // jobs to skip, in the list's order (ListJobs only)
	NewestFirst   bool        // list newest first instead of oldest first (ListJobs only)
}

// JobCount is how many jobs have one type and status.
type JobCount struct {
	Type   JobType
	Status JobStatus
	N      int64
}

// Tx is a database transaction of the store's own driver (*sql.Tx for SQLite,
// pgx.Tx for PostgreSQL), handed to the job queue so that a job row and its queued
// work are written in one transaction.
type Tx any

// JobStore keeps jobs.
type JobStore interface {
	// CreateJob inserts j and, in the same transaction, calls enqueue with the
	// transaction; if enqueue fails nothing is written. When limit > 0 and
	// limit or more jobs of j's tenant and type are pending or processing,
	// nothing is written and it returns TooManyJobs(j.Type, limit); the check
	// and the insert are atomic.
	CreateJob(ctx context.Context, j *Job, limit int, enqueue func(ctx context.Context, tx Tx) error) error
	// FindJob returns ENOTFOUND (detail "inexistent_job") when there is none.
	FindJob(ctx context.Context, tenant, id string) (*Job, error)
	// StartJob moves a pending job to processing (StartedAt = now) when fewer
	// than limit jobs of its tenant and type are processing or pending and
	// older (created before it, or at the same time with a smaller id), as one
	// atomic step: a tenant's jobs start in creation order.
	// It returns the job as it is afterwards: still pending when the limit was
	// reached, unchanged when it was not pending. ENOTFOUND if absent.
	StartJob(ctx context.Context, tenant, id string, limit int, now time.Time) (*Job, error)
	// UpdateJob reads the job, lets fn change it and writes it back, in one
	// transaction. An error from fn aborts the update and is returned.
	UpdateJob(ctx context.Context, tenant, id string, fn func(j *Job) error) (*Job, error)
	// ListJobs returns the jobs that match f, oldest first (by creation
	// time, then tenant and id) or, with f.NewestFirst, in the reverse order.
	ListJobs(ctx context.Context, f JobFilter) ([]*Job, error)
	// CountJobs counts the jobs that match f.
	CountJobs(ctx context.Context, f JobFilter) (int, error)
	// JobCounts counts the jobs of every tenant by type and stored status
	// (an index-only read, for the metrics); combinations without jobs are
	// absent.
	JobCounts(ctx context.Context) ([]JobCount, error)
	// DeleteJob removes a job record: ENOTFOUND if absent.
	DeleteJob(ctx context.Context, tenant, id string) error
}

// TooManyJobs is the error of a new job of type typ while limit jobs of its
// type and tenant are pending or processing: 429 "too_many_requests".
func TooManyJobs(typ JobType, limit int) error {
	if typ == JobUsersImport {
		return TooManyImports(limit)
	}
	return Errorf(ETOOMANY, "too_many_requests",
		"There are %d pending export users jobs, please wait until some of them are finished and try again", limit)
}

// ExportPart is one user_id range of a split export: an export of a large
// tenant is cut into ranges that several workers write at once, each range
// an independent gzip member, and the members are then joined into the
// export's file (see BlobStore.Join). A part has a runner and a heartbeat of
// its own, so that a worker that dies loses only its range.
type ExportPart struct {
	Tenant string
	JobID  string
	Index  int    // 0 for the first range; only part 0 writes the CSV header
	After  string // the range starts after this user_id; "" from the first user
	Until  string // the range ends at this user_id, included; "" to the last user

	Status      JobStatus // pending, processing or completed
	Runner      string
	HeartbeatAt time.Time
	Done        int64 // users written so far, for the job's progress

	// Result of a completed part.
	FileKey   string
	Rows      int64
	FileBytes int64
}

// Errors of the part state changes.
var (
	// ErrPartTaken is a claim of a part that is completed, or that a runner
	// whose heartbeat is younger than the stale limit runs.
	ErrPartTaken = errors.New("export part is completed or running in a live worker")
	// ErrPartLost is a write of a runner whose part another runner took
	// over (or that was reset).
	ErrPartLost = errors.New("export part is no longer this runner's")
)

// Claim makes runner the runner of p at now, unless p is completed or its
// runner's heartbeat is younger than staleAfter (ErrPartTaken).
func (p *ExportPart) Claim(runner string, now time.Time, staleAfter time.Duration) error {
	if p.Status == JobCompleted || p.Status == JobProcessing && now.Sub(p.HeartbeatAt) < staleAfter {
		return ErrPartTaken
	}
	p.Status, p.Runner, p.HeartbeatAt, p.Done = JobProcessing, runner, now, 0
	return nil
}

// Beat records runner's progress on p at now: ErrPartLost if p is no longer
// runner's.
func (p *ExportPart) Beat(runner string, now time.Time, done int64) error {
	if err := p.owned(runner); err != nil {
		return err
	}
	p.HeartbeatAt, p.Done = now, done
	return nil
}

// Complete records runner's committed file of p: ErrPartLost if p is no
// longer runner's (the caller then deletes its file).
func (p *ExportPart) Complete(runner, fileKey string, rows, bytes int64) error {
	if err := p.owned(runner); err != nil {
		return err
	}
	p.Status, p.FileKey, p.Rows, p.FileBytes, p.Done = JobCompleted, fileKey, rows, bytes, rows
	return nil
}

// Release gives p back (a runner that was stopped by a shutdown): any worker
// may claim it at once. ErrPartLost if p is no longer runner's.
func (p *ExportPart) Release(runner string) error {
	if err := p.owned(runner); err != nil {
		return err
	}
	p.Status, p.Runner, p.HeartbeatAt, p.Done = JobPending, "", time.Time{}, 0
	return nil
}

func (p *ExportPart) owned(runner string) error {
	if p.Status != JobProcessing || p.Runner != runner {
		return ErrPartLost
	}
	return nil
}

// UserSample is a sample of the user_ids of a tenant (or of one of its
// connections).
type UserSample struct {
	// IDs are distinct, in user_id order.
	IDs []string
	// Weight is how many users each of IDs stands for: 1 when IDs are
	// every user.
	Weight float64
}

// Users estimates how many users the sample was drawn from (exactly when
// it holds every user).
func (s UserSample) Users() int64 {
	return int64(float64(len(s.IDs))*s.Weight + 0.5)
}

// Cuts returns the user_ids that cut the sampled users into n ranges of
// about as many users each, in order: the every-th of IDs, the 2*every-th
// and so on, every = len(IDs)/n rounded up; fewer when the sample is too
// small, none at the last of IDs. Any cuts in order put every user in
// exactly one range (after one cut, up to the next); the sample only sets
// how equal the ranges are.
func (s UserSample) Cuts(n int) []string {
	if n < 2 || len(s.IDs) == 0 {
		return nil
	}
	every := (len(s.IDs) + n - 1) / n
	var cuts []string
	for i := every - 1; i < len(s.IDs)-1 && len(cuts) < n-1; i += every {
		cuts = append(cuts, s.IDs[i])
	}
	return cuts
}

// ExportPartStore keeps the parts of split exports. A job's parts are purged
// with the job.
type ExportPartStore interface {
	// SampleUsers returns a sample of the user_ids of tenant (of one
	// connection, when connectionID is not ""), about size of them if the
	// tenant held every user of the store, and every user_id when that is
	// cheap; it never reads every user. A split export cuts its parts at
	// some of them.
	SampleUsers(ctx context.Context, tenant, connectionID string, size int) (UserSample, error)
	// CreateExportParts inserts the parts of one job, all or none:
	// ECONFLICT if the job has parts already.
	CreateExportParts(ctx context.Context, parts []*ExportPart) error
	// ListExportParts returns a job's parts in index order (none if it
	// was not split).
	ListExportParts(ctx context.Context, tenant, jobID string) ([]*ExportPart, error)
	// UpdateExportPart reads a part, lets fn change it and writes it back,
	// in one transaction (concurrent updates of a part run one after
	// another). An error from fn aborts the update and is returned as is;
	// ENOTFOUND if there is no such part.
	UpdateExportPart(ctx context.Context, tenant, jobID string, index int, fn func(p *ExportPart) error) (*ExportPart, error)
}
