package userport

import (
	"context"
	"errors"
	"fmt"
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

// ActiveJobStatuses are the statuses of a job that counts against its
// tenant's limits: pending or processing. The stores pass them to their
// queries as parameters.
var ActiveJobStatuses = []JobStatus{JobPending, JobProcessing}

// Active reports whether a job of status s counts against its tenant's
// limits (see ActiveJobStatuses).
func (s JobStatus) Active() bool {
	return s == JobPending || s == JobProcessing
}

// DefaultMaxImportsPerTenant is how many imports of one tenant may be
// active (pending or processing) at once, unless configured otherwise: the
// API refuses a new import beyond it and the workers start no more.
const DefaultMaxImportsPerTenant = 2

// Format is an export file format.
type Format string

// Export formats. FormatJSON is NDJSON: one user object per line.
// FormatParquet (a userport extension) is one Apache Parquet file, a typed
// column per field.
const (
	FormatCSV     Format = "csv"
	FormatJSON    Format = "json"
	FormatParquet Format = "parquet"
)

// Formats are the export formats, in the order the API lists them.
var Formats = []Format{FormatJSON, FormatCSV, FormatParquet}

// Valid reports whether f is one of Formats.
func (f Format) Valid() bool {
	return f == FormatJSON || f == FormatCSV || f == FormatParquet
}

// Gzipped reports whether a file of format f is gzip'd: CSV and NDJSON are;
// a Parquet file compresses its own columns (zstd) and is not.
func (f Format) Gzipped() bool { return f != FormatParquet }

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
	// Query is the export's "q" (a userport extension): an Auth0
	// user-search query that selects the users; "" for every user.
	Query string
	// ChangesSince is the export's "changes_since" (a userport extension),
	// the cursor as the client gave it: "" for a full export. Since is the
	// Low of its watermark, read from it when the job was created.
	ChangesSince string
	Since        uint64

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
	// The manifest of a completed export (GET /api/v2/jobs/{id}/manifest).
	Tombstones  int64   // tombstones written (incremental exports)
	SHA256      string  // hex sha256 of the stored file
	FieldCounts []int64 // per field of Fields: the users that had a value
	// Mark is the watermark taken before the export read any user, and
	// MarkAt when: the manifest's cursor. HasMark is false for an export
	// its limit cut short (its file is not the tenant at any point).
	Mark    Watermark
	MarkAt  time.Time
	HasMark bool
}

// NewJob returns a new pending job of tenant and type typ, with a new id,
// created at now (in milliseconds, as the stores keep it).
func NewJob(tenant string, typ JobType, now time.Time) *Job {
	return &Job{Tenant: tenant, ID: NewJobID(), Type: typ, Status: JobPending, CreatedAt: now.Truncate(time.Millisecond)}
}

// Errors of the job state changes: each transition checks the state it
// leaves and answers one of them, changing nothing, when the job is not in it.
var (
	// ErrJobNotPending is a start of a job that is not pending.
	ErrJobNotPending = errors.New("job is not pending")
	// ErrJobAtLimit is a start of a job while its tenant's active jobs of
	// its type that go before it reach the limit.
	ErrJobAtLimit = errors.New("the tenant's jobs of this type are at their limit")
	// ErrJobNotProcessing is a change of a running job that is no longer
	// processing, or no longer the given runner's (an export taken over by
	// another worker).
	ErrJobNotProcessing = errors.New("job is not processing, or not this runner's")
	// ErrJobClaimed is a claim of an export that a runner whose heartbeat is
	// younger than the stale limit runs.
	ErrJobClaimed = errors.New("export is running in another worker")
	// ErrJobNotCompleted is an expiry of a job that is not a completed
	// export.
	ErrJobNotCompleted = errors.New("job is not a completed export")
)

// Start moves a pending job to processing at now, when fewer than limit
// active jobs of its tenant and type go before it: ahead counts the
// processing ones and the pending ones created before it (the store counts
// them in the transaction that writes the change), so that a tenant's jobs
// start in creation order. ErrJobNotPending or ErrJobAtLimit otherwise.
func (j *Job) Start(now time.Time, ahead, limit int) error {
	if j.Status != JobPending {
		return ErrJobNotPending
	}
	if ahead >= limit {
		return ErrJobAtLimit
	}
	j.Status, j.StartedAt = JobProcessing, now
	return nil
}

// StartRefused reports whether err is Start's refusal (ErrJobNotPending or
// ErrJobAtLimit): the store then leaves the job as it is and returns it.
func StartRefused(err error) bool {
	return errors.Is(err, ErrJobNotPending) || errors.Is(err, ErrJobAtLimit)
}

// CheckNewJob is the limit of a new job of type typ of a tenant that has
// active jobs of that type (ActiveJobStatuses): TooManyJobs(typ, limit) when
// they reach limit (0: no limit). The stores count, in the transaction that
// inserts the job.
func CheckNewJob(typ JobType, active, limit int) error {
	if limit > 0 && active >= limit {
		return TooManyJobs(typ, limit)
	}
	return nil
}

// Claim makes runner the runner of a processing export at now, unless
// another runner's heartbeat is younger than staleAfter (ErrJobClaimed).
// The runner guards every later change: a runner that was taken over sees
// ErrJobNotProcessing at its next one.
func (j *Job) Claim(runner string, now time.Time, staleAfter time.Duration) error {
	if j.Status != JobProcessing {
		return ErrJobNotProcessing
	}
	if j.Runner != "" && now.Sub(j.HeartbeatAt) < staleAfter {
		return ErrJobClaimed
	}
	j.Runner, j.HeartbeatAt = runner, now
	return nil
}

// Progress records a running job's progress and its runner's heartbeat at
// now.
func (j *Job) Progress(runner string, now time.Time, pct, left int) error {
	if err := j.running(runner); err != nil {
		return err
	}
	j.PercentageDone, j.TimeLeftSeconds, j.HeartbeatAt = pct, left, now
	return nil
}

// ExportFile is the committed file of an export.
type ExportFile struct {
	Key   string // blob key
	Name  string // "{tenant}.csv.gz"
	Rows  int64
	Bytes int64
	// The manifest's facts (see Job).
	Tombstones  int64
	SHA256      string
	FieldCounts []int64
}

// RecordMark records the watermark m, taken at at before runner's export read any
// user: the export's file holds every change up to it (see Watermark). A
// runner that takes over an export whose parts were planned already keeps
// the mark recorded before them.
func (j *Job) RecordMark(runner string, m Watermark, at time.Time) error {
	if err := j.running(runner); err != nil {
		return err
	}
	j.Mark, j.MarkAt = m, at
	return nil
}

// CompleteExport ends a running export as completed at now with its file.
// Its manifest has a cursor (HasMark) when a watermark was recorded before
// it read (RecordMark) and its limit did not cut it short: a file cut short is
// not the tenant at any point.
func (j *Job) CompleteExport(runner string, now time.Time, f ExportFile) error {
	if err := j.running(runner); err != nil {
		return err
	}
	j.complete(now)
	j.FileKey, j.FileName, j.Rows, j.FileBytes = f.Key, f.Name, f.Rows, f.Bytes
	j.Tombstones, j.SHA256, j.FieldCounts = f.Tombstones, f.SHA256, f.FieldCounts
	j.HasMark = !j.MarkAt.IsZero() && (j.Limit <= 0 || f.Rows+f.Tombstones < int64(j.Limit))
	return nil
}

// CompleteImport ends a running import as completed at now with its
// summary.
func (j *Job) CompleteImport(now time.Time, s ImportSummary) error {
	if err := j.running(""); err != nil {
		return err
	}
	j.complete(now)
	j.Summary = &s
	return nil
}

// complete sets what every completion sets.
func (j *Job) complete(now time.Time) {
	j.Status, j.CompletedAt, j.PercentageDone, j.TimeLeftSeconds = JobCompleted, now, 100, 0
}

// Fail ends a running job as failed at now: its status_details are "The
// export failed: " or "The import failed: " (by its type) and reason. An
// import keeps the summary of what it committed (nil: none).
func (j *Job) Fail(runner string, now time.Time, reason string, summary *ImportSummary) error {
	return j.fail(runner, now, failurePrefix(j.Type)+reason, summary)
}

// failurePrefix is what the status_details of a failed job of type typ
// start with.
func failurePrefix(typ JobType) string {
	if typ == JobUsersImport {
		return "The import failed: "
	}
	return "The export failed: "
}

// TimeOut ends a running export as failed at now because it ran longer than
// limit.
func (j *Job) TimeOut(runner string, now time.Time, limit time.Duration) error {
	return j.fail(runner, now, fmt.Sprintf("The export job was stopped because it ran longer than %s.", humanDuration(limit)), nil)
}

// fail ends a running job as failed with details.
func (j *Job) fail(runner string, now time.Time, details string, summary *ImportSummary) error {
	if err := j.running(runner); err != nil {
		return err
	}
	j.Status, j.CompletedAt, j.StatusDetails = JobFailed, now, details
	if summary != nil {
		s := *summary
		j.Summary = &s
	}
	return nil
}

// humanDuration writes whole hours as "8 hours" and anything else as Go
// does.
func humanDuration(d time.Duration) string {
	if d%time.Hour == 0 {
		if d == time.Hour {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", d/time.Hour)
	}
	return d.String()
}

// HandBack puts a running job back to pending, as if it never started (a
// runner stopped by a shutdown, or by a database that went away): any
// worker may start it again.
func (j *Job) HandBack(runner string) error {
	if err := j.running(runner); err != nil {
		return err
	}
	j.Status, j.StartedAt, j.PercentageDone, j.TimeLeftSeconds = JobPending, time.Time{}, 0, 0
	j.Runner, j.HeartbeatAt = "", time.Time{}
	return nil
}

// Expire marks a completed export whose file was deleted expired.
func (j *Job) Expire() error {
	if j.Type != JobUsersExport || j.Status != JobCompleted {
		return ErrJobNotCompleted
	}
	j.Status = JobExpired
	return nil
}

// running checks that j is processing and, unless runner is "" (an import,
// or the cleanup, which ends a job whoever runs it), that runner runs it.
func (j *Job) running(runner string) error {
	if j.Status != JobProcessing || runner != "" && j.Runner != runner {
		return ErrJobNotProcessing
	}
	return nil
}

// JobObserver sees every job state change that took effect: before is the
// status the job left (it may equal the job's status, for a progress or a
// claim), after the job as stored. Webhooks, audit events and metrics hook
// in here.
type JobObserver func(ctx context.Context, before JobStatus, after *Job)

// JobTransitions is the one seam every change of a stored job passes
// through: the workers, the cleanup and the command line's load change
// jobs only by its Start and Change, which run the Job's transition methods
// in the store's transaction, call Enqueue (nil: nobody) in that
// transaction and, once it committed, tell Observe (nil: nobody). Webhook
// events are enqueued there, so that a job's end and its events are
// written both or neither; audit events and metrics hook in there too.
type JobTransitions struct {
	Store   JobStore
	Observe JobObserver
	// Enqueue, if set, is called by Change inside the store's transaction,
	// after the job was written, with the status it left and the job as
	// written: its error aborts the change.
	Enqueue func(ctx context.Context, tx Tx, before JobStatus, after *Job) error
}

// Start moves a pending job to processing at now, within limit (see
// Job.Start), through the store's StartJob, and returns the job as it is
// afterwards (still pending at the limit; unchanged when it was not
// pending). Two starts of one job at once may both tell Observe.
func (t JobTransitions) Start(ctx context.Context, tenant, id string, limit int, now time.Time) (*Job, error) {
	j, err := t.Store.FindJob(ctx, tenant, id)
	if err != nil || j.Status != JobPending {
		return j, err
	}
	after, err := t.Store.StartJob(ctx, tenant, id, limit, now)
	if err != nil {
		return nil, err
	}
	if after.Status == JobProcessing {
		t.observe(ctx, JobPending, after)
	}
	return after, nil
}

// Change applies change (one of the Job's transition methods) to the
// stored job in one JobStore.UpdateJob transaction and returns the job
// stored; change's error aborts the update and is returned as is.
func (t JobTransitions) Change(ctx context.Context, tenant, id string, change func(j *Job) error) (*Job, error) {
	var before JobStatus
	var then func(ctx context.Context, tx Tx, j *Job) error
	if t.Enqueue != nil {
		then = func(ctx context.Context, tx Tx, j *Job) error { return t.Enqueue(ctx, tx, before, j) }
	}
	after, err := t.Store.UpdateJobThen(ctx, tenant, id, func(j *Job) error {
		before = j.Status
		return change(j)
	}, then)
	if err != nil {
		return nil, err
	}
	t.observe(ctx, before, after)
	return after, nil
}

// observe tells Observe, if any, of a change.
func (t JobTransitions) observe(ctx context.Context, before JobStatus, after *Job) {
	if t.Observe != nil {
		t.Observe(ctx, before, after)
	}
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
	// nothing is written and it returns TooManyJobs(j.Type, limit) (the store
	// counts, CheckNewJob decides); the check and the insert are atomic.
	CreateJob(ctx context.Context, j *Job, limit int, enqueue func(ctx context.Context, tx Tx) error) error
	// FindJob returns ENOTFOUND (detail "inexistent_job") when there is none.
	FindJob(ctx context.Context, tenant, id string) (*Job, error)
	// StartJob moves a pending job to processing (StartedAt = now) when fewer
	// than limit jobs of its tenant and type are processing or pending and
	// older (created before it, or at the same time with a smaller id), as one
	// atomic step: a tenant's jobs start in creation order. The store reads
	// the job, counts those ahead of it and calls Job.Start, which decides.
	// It returns the job as it is afterwards: still pending when the limit was
	// reached, unchanged when it was not pending. ENOTFOUND if absent.
	StartJob(ctx context.Context, tenant, id string, limit int, now time.Time) (*Job, error)
	// UpdateJob reads the job, lets fn change it and writes it back, in one
	// transaction. An error from fn aborts the update and is returned.
	UpdateJob(ctx context.Context, tenant, id string, fn func(j *Job) error) (*Job, error)
	// UpdateJobThen is UpdateJob that, after writing the job and before
	// committing, calls then (nil: nothing) with the transaction and the job
	// as written: an error from then aborts the update and is returned as
	// is. The job seam enqueues a job's webhook events there.
	UpdateJobThen(ctx context.Context, tenant, id string, fn func(j *Job) error, then func(ctx context.Context, tx Tx, j *Job) error) (*Job, error)
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
	FileKey     string
	Rows        int64
	FileBytes   int64
	FieldCounts []int64 // per field of the job's Fields: the part's users that had a value
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

// Complete records runner's committed file of p (its Key, Rows, Bytes and
// FieldCounts): ErrPartLost if p is no longer runner's (the caller then
// deletes its file).
func (p *ExportPart) Complete(runner string, f ExportFile) error {
	if err := p.owned(runner); err != nil {
		return err
	}
	p.Status, p.FileKey, p.Rows, p.FileBytes, p.Done = JobCompleted, f.Key, f.Rows, f.Bytes, f.Rows
	p.FieldCounts = f.FieldCounts
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
