// Package jobs runs userport's asynchronous work on River (riverqueue): the
// export worker, the periodic cleanup, and the queue the HTTP API enqueues
// into inside the store's transaction. It is generic over the database driver's
// transaction type, so the SQLite and PostgreSQL drivers run the same workers.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/userport/userport"
	"github.com/userport/userport/export"
)

// Config tunes the job engine. Zero values take the defaults.
type Config struct {
	Workers             int                // concurrent jobs in this process (DefaultWorkers)
	MaxExportsPerTenant int                // exports of one tenant processing at once (DefaultMaxExportsPerTenant)
	Lifetimes           userport.Lifetimes // export timeout, file and record lifetimes (zero: defaults)
	CleanupInterval     time.Duration      // how often the cleanup runs (default 1 min)
	PollInterval        time.Duration      // how often idle workers look for jobs (default 200ms)
	FetchCooldown       time.Duration      // River's FetchCooldown: the least time between two fetches on a notification (default 50ms, at most PollInterval)
	LimitRetry          time.Duration      // how soon a job held back by the tenant limit retries (default 1s)
	ProgressInterval    time.Duration      // how often a running job writes its progress and heartbeat (default 1s)
	StaleAfter          time.Duration      // how long a processing export (or part) may go without a heartbeat before another worker takes it over (default 1 min)
	// SplitParts is how many parts an export is split into at most, each
	// written by any worker (1 or less: never split); SplitMinUsers the
	// fewest users of a part (default DefaultSplitMinUsers): an export of
	// fewer than 2*SplitMinUsers users is not split. A limited export is
	// never split.
	SplitParts    int
	SplitMinUsers int64

	MaxImportsPerTenant int           // imports of one tenant active at once (userport.DefaultMaxImportsPerTenant)
	ImportChunk         time.Duration // how long one River execution of an import runs (default 30s)
	ImportTimeout       time.Duration // River timeout of one import execution (default ImportChunk + 1 min)
	RescueAfter         time.Duration // River's RescueStuckJobsAfter (default 2 min; its JobTimeout is at most this)
}

// Defaults of the settings the command line also takes (--workers,
// --max-exports-per-tenant; --max-imports-per-tenant's is
// userport.DefaultMaxImportsPerTenant, which the API's limit shares).
const (
	DefaultWorkers             = 2
	DefaultMaxExportsPerTenant = 2
)

// River's FetchCooldown: on SQLite every fetch takes the one writer, so
// workers fetch at most every 50 ms; on PostgreSQL 10 ms cut the time from
// insert to start from ~47 ms to 4-5 ms (docs/design.md).
const (
	DefaultFetchCooldown  = 50 * time.Millisecond
	PostgresFetchCooldown = 10 * time.Millisecond
)

// withDefaults returns c with every zero value replaced by its default.
func (c Config) withDefaults() Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.MaxExportsPerTenant <= 0 {
		c.MaxExportsPerTenant = DefaultMaxExportsPerTenant
	}
	c.Lifetimes = c.Lifetimes.WithDefaults()
	def(&c.CleanupInterval, time.Minute)
	def(&c.PollInterval, 200*time.Millisecond)
	def(&c.FetchCooldown, DefaultFetchCooldown)
	def(&c.LimitRetry, time.Second)
	def(&c.ProgressInterval, time.Second)
	def(&c.StaleAfter, time.Minute)
	if c.SplitMinUsers <= 0 {
		c.SplitMinUsers = DefaultSplitMinUsers
	}
	if c.MaxImportsPerTenant <= 0 {
		c.MaxImportsPerTenant = userport.DefaultMaxImportsPerTenant
	}
	def(&c.ImportChunk, 30*time.Second)
	def(&c.ImportTimeout, c.ImportChunk+time.Minute)
	def(&c.RescueAfter, 2*time.Minute)
	return c
}

// Exporter writes one export job's file; export.Exporter implements it.
type Exporter interface {
	// Export writes the job's file (gzip'd) to w, reporting the users it
	// reads to progress as it goes, and returns what it wrote.
	Export(ctx context.Context, job *userport.Job, w io.Writer, progress func(n int64)) (export.Result, error)
	// ExportPart writes the users of one part of a split export as one gzip
	// member, the CSV header in part 0 only, so that the parts end to end
	// decompress to what Export writes.
	ExportPart(ctx context.Context, job *userport.Job, part *userport.ExportPart, w io.Writer, progress func(n int64)) (export.Result, error)
}

// Engine is the River client with userport's workers, for one driver.
type Engine[TTx any] struct {
	client *river.Client[TTx]
	driver riverdriver.Driver[TTx]
	logger *slog.Logger
	work   bool // false: the engine only enqueues
}

// Deps is what the workers need.
type Deps struct {
	Store    userport.Store
	Blobs    userport.BlobStore
	Exporter Exporter
	Importer Importer
	Clock    userport.Clock
	Logger   *slog.Logger
	Metrics  Metrics // nil: none
	// Observe, if set, sees every job change the workers and the cleanup
	// make, once it is committed (see userport.JobTransitions).
	Observe userport.JobObserver
	// Webhooks, if set, delivers completion webhooks: every job end queues
	// its event in the job's transaction. Nil: no webhooks.
	Webhooks *Webhooks

	// insertTx queues River jobs in a store's transaction (New sets it).
	insertTx func(ctx context.Context, tx userport.Tx, params []river.InsertManyParams) error
}

// New builds the engine. workers=false makes an insert-only client (the API of
// a process that runs no workers).
func New[TTx any](driver riverdriver.Driver[TTx], deps Deps, cfg Config, work bool) (*Engine[TTx], error) {
	cfg = cfg.withDefaults()
	rc := &river.Config{
		Logger:               deps.Logger.With("component", "river"),
		FetchCooldown:        min(cfg.FetchCooldown, cfg.PollInterval),
		FetchPollInterval:    cfg.PollInterval,
		JobTimeout:           min(time.Minute, cfg.RescueAfter),
		RescueStuckJobsAfter: cfg.RescueAfter, // kinds with a longer Timeout (exports) wait for it
		MaxAttempts:          25,
	}
	var client *river.Client[TTx]
	deps.insertTx = func(ctx context.Context, tx userport.Tx, params []river.InsertManyParams) error {
		t, ok := tx.(TTx)
		if !ok {
			return fmt.Errorf("enqueue: transaction is %T, not the driver's", tx)
		}
		_, err := client.InsertManyTx(ctx, t, params)
		return err
	}
	if work {
		workers := river.NewWorkers()
		enqueue := func(ctx context.Context, args river.JobArgs) error {
			_, err := client.Insert(ctx, args, nil)
			return err
		}
		river.AddWorker(workers, &exportWorker{deps: deps, cfg: cfg, enqueue: enqueue})
		river.AddWorker(workers, &exportPartWorker{deps: deps, cfg: cfg})
		river.AddWorker(workers, &importWorker{deps: deps, cfg: cfg})
		river.AddWorker(workers, &cleanupWorker{deps: deps, cfg: cfg, enqueue: enqueue})
		rc.Workers = workers
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}}
		if deps.Webhooks != nil {
			river.AddWorker(workers, &webhookEventWorker{deps: deps, insert: deps.insertTx})
			river.AddWorker(workers, &webhookDeliveryWorker{deps: deps, hook: deps.Webhooks})
			rc.Queues[WebhookQueue] = river.QueueConfig{MaxWorkers: WebhookWorkers}
		}
		rc.PeriodicJobs = []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(cfg.CleanupInterval),
			func() (river.JobArgs, *river.InsertOpts) { return CleanupArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true, ID: "cleanup"})}
	}
	client, err := river.NewClient(driver, rc) // the client the cleanup enqueues with
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	return &Engine[TTx]{client: client, driver: driver, logger: deps.Logger, work: work}, nil
}

// Migrate brings River's tables up to date.
func Migrate[TTx any](ctx context.Context, driver riverdriver.Driver[TTx]) error {
	m, err := rivermigrate.New(driver, nil)
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrate: %w", err)
	}
	return nil
}

// Start starts working jobs (a no-op for an insert-only engine).
func (e *Engine[TTx]) Start(ctx context.Context) error {
	if !e.work {
		return nil
	}
	if err := e.client.Start(ctx); err != nil {
		return fmt.Errorf("start river: %w", err)
	}
	return nil
}

// Stop stops fetching jobs and waits for running ones until ctx is done, then
// cancels them (a cancelled export goes back to pending and is redone later).
func (e *Engine[TTx]) Stop(ctx context.Context) error {
	if !e.work {
		return nil
	}
	if err := e.client.Stop(ctx); err != nil {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return errors.Join(err, e.client.StopAndCancel(cctx))
	}
	return nil
}

// EnqueueTx queues the work of job inside the store's transaction tx, which
// must be the driver's transaction type.
func (e *Engine[TTx]) EnqueueTx(ctx context.Context, tx userport.Tx, job *userport.Job) error {
	t, ok := tx.(TTx)
	if !ok {
		return fmt.Errorf("enqueue %s: transaction is %T, not the driver's", job.ID, tx)
	}
	var args river.JobArgs
	switch job.Type {
	case userport.JobUsersExport:
		args = ExportArgs{Tenant: job.Tenant, JobID: job.ID}
	case userport.JobUsersImport:
		args = ImportArgs{Tenant: job.Tenant, JobID: job.ID}
	default:
		return fmt.Errorf("enqueue %s: unknown job type %q", job.ID, job.Type)
	}
	if _, err := e.client.InsertTx(ctx, t, args, nil); err != nil {
		return fmt.Errorf("enqueue %s: %w", job.ID, err)
	}
	return nil
}

// queueStates are the states QueueCounts counts: each count is one indexed
// count of River's job table.
var queueStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStateScheduled,
	rivertype.JobStateRetryable, rivertype.JobStateRunning}

// QueueCounts counts River's jobs by state (available, scheduled,
// retryable, running), for the metrics.
func (e *Engine[TTx]) QueueCounts(ctx context.Context) (map[string]int64, error) {
	out := make(map[string]int64, len(queueStates))
	exec := e.driver.GetExecutor()
	for _, st := range queueStates {
		n, err := exec.JobCountByState(ctx, &riverdriver.JobCountByStateParams{State: st})
		if err != nil {
			return nil, fmt.Errorf("count %s queue jobs: %w", st, err)
		}
		out[string(st)] = int64(n)
	}
	return out, nil
}
