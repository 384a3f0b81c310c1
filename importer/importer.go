package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/userport/userport"
)

// DefaultBatchSize is the most records that go into one transaction. Random
// email and username keys make each transaction rewrite most pages of those
// indexes, so larger batches write less (see docs/benchmarks.md); the two
// batches in memory (one written, one read ahead) of 10000 users hold about
// 45 MB.
const DefaultBatchSize = 10000

// DefaultBatchTime is how long the importer aims to hold SQLite's one writer
// per transaction: the API's writes, River's and other jobs' wait for it
// (issue 10: batches of 10,000 users held it for seconds, past the 5 s busy
// timeout of the API's writes). Each batch is sized from the last commit's
// rate to take about this long.
const DefaultBatchTime = 50 * time.Millisecond

// DefaultBatchGap is how long the importer leaves the database's writer
// free between two of its transactions. SQLite queues no writers: another
// process's write (the API's) that finds the writer taken retries after 1,
// 2, 5, 10, 15, 20 then 25 ms, and an importer that began its next
// transaction at once would take the writer first every time, until the
// waiting write's busy timeout. A gap as long as the longest of those
// retries lets any waiting write in, after at most a batch and a gap.
const DefaultBatchGap = 25 * time.Millisecond

// DefaultHoldTime is the longest one transaction of an import writes batch
// after batch while no other writer waits for the database's writer (a
// store that can tell, BatchesStore): small transactions rewrite the same
// random-key index pages again and again (docs/benchmarks.md), so the
// import commits as soon as another writer waits and otherwise writes its
// batches in transactions of about this long.
const DefaultHoldTime = time.Second

// firstBatchSize is the size of a run's first batch (and of the one read
// ahead while it is written), before any commit has been timed: about 25 ms
// at the import rate measured on machine A.
const firstBatchSize = 500

// minBatchSize is the smallest batch the sizing makes, however slow the
// writes: below it a transaction's fixed costs dominate.
const minBatchSize = 50

// sessionIdle is how long an open file is kept for the next run of its job.
const sessionIdle = 10 * time.Minute

// Source opens uploaded files; userport.BlobStore is one.
type Source interface {
	Open(ctx context.Context, key string) (io.ReadCloser, error)
}

// Store is what the importer reads and writes; userport.Store is one.
type Store interface {
	FindConnection(ctx context.Context, tenant, id string) (*userport.Connection, error)
	FindImportState(ctx context.Context, tenant, jobID string) (*userport.ImportState, error)
	WriteImportBatch(ctx context.Context, b *userport.ImportBatch) (*userport.ImportState, error)
}

// BatchesStore is a Store that writes several batches in one transaction:
// b, then each batch next returns until nil, committing early (after a
// batch) when another writer waits for the database's writer; next gets a
// function that reports that wait. The SQLite store is one.
type BatchesStore interface {
	WriteImportBatches(ctx context.Context, b *userport.ImportBatch,
		next func(ctx context.Context, waiting func() bool) *userport.ImportBatch) (*userport.ImportState, error)
}

// Importer imports the files of import jobs. It is safe for concurrent use.
//
// Between two runs of a job in the same process it keeps the job's file open
// at the committed cursor, with the batches read ahead, so that a run does
// not read the file again from its start; a run in a new process (after a
// crash) opens the file and skips the records already committed.
type Importer struct {
	Store     Store
	Files     Source
	Clock     userport.Clock
	BatchSize int           // most records per transaction (DefaultBatchSize when 0)
	BatchTime time.Duration // the time a transaction aims at (DefaultBatchTime when 0)
	BatchGap  time.Duration // the writer left free between transactions (DefaultBatchGap when 0, none when < 0)
	HoldTime  time.Duration // the longest transaction of several batches (DefaultHoldTime when 0, one batch each when < 0)
	Limits    Limits        // the bounds of one file (the defaults when zero)

	mu       sync.Mutex
	sessions map[string]*session // by job id; taken while a run uses one
}

// session is an open import file positioned at a job's committed cursor.
type session struct {
	f       io.Closer
	rd      *Reader
	builder *Builder
	pending []item    // batches read ahead, not written yet, in order
	next    int64     // the committed cursor the session continues from
	used    time.Time // when a run last gave it back
}

// close closes the session's file.
func (s *session) close() { _ = s.f.Close() }

// item is a batch read ahead, or the end of the file, or an error.
type item struct {
	batch *userport.ImportBatch
	eof   bool
	err   error
}

// Run imports job's file from its committed cursor, batch after batch, for
// about budget (0: no limit): the batch under way when the budget runs out is
// finished. It returns the committed state and whether the whole file is
// done.
//
// While one goroutine writes a batch, another reads and validates the next.
// An EINVALID error means the file cannot be read as users; ECONFLICT that
// another worker moved the cursor.
func (im *Importer) Run(ctx context.Context, job *userport.Job, budget time.Duration) (*userport.ImportState, bool, error) {
	st, err := im.Store.FindImportState(ctx, job.Tenant, job.ID)
	if err != nil {
		return nil, false, err
	}
	s := im.take(job.ID, st.Records)
	if s == nil {
		if s, err = im.open(ctx, job, st.Records); err != nil {
			return nil, false, err
		}
	}
	r := &run{im: im, job: job, s: s, state: st, start: time.Now(), budget: budget}
	r.size.init(im.BatchSize, im.BatchTime)
	st, done, err := r.loop(ctx)
	if err != nil || done {
		s.close()
		return st, done, err
	}
	im.keep(job.ID, s)
	return st, false, nil
}

// open opens job's file and skips the records already committed.
func (im *Importer) open(ctx context.Context, job *userport.Job, committed int64) (*session, error) {
	conn, err := im.Store.FindConnection(ctx, job.Tenant, job.ConnectionID)
	if userport.ErrorCode(err) == userport.ENOTFOUND {
		return nil, userport.Errorf(userport.EINVALID, "", "The connection %s does not exist any more.", job.ConnectionID)
	} else if err != nil {
		return nil, err
	}
	f, err := im.Files.Open(ctx, job.UploadKey)
	if err != nil {
		return nil, fmt.Errorf("open the import file: %w", err)
	}
	rd, err := NewLimitedReader(f, im.Limits)
	if err == nil {
		err = rd.Skip(committed)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	b := &Builder{Tenant: job.Tenant, Connection: conn, Now: im.clock().Now(), NewIDs: job.NewIDs}
	return &session{f: f, rd: rd, builder: b, next: committed}, nil
}

// take removes and returns the job's session if it continues from the
// committed cursor, and closes sessions left idle too long.
func (im *Importer) take(jobID string, committed int64) *session {
	im.mu.Lock()
	defer im.mu.Unlock()
	for id, s := range im.sessions {
		if time.Since(s.used) > sessionIdle {
			s.close()
			delete(im.sessions, id)
		}
	}
	s := im.sessions[jobID]
	delete(im.sessions, jobID)
	if s != nil && s.next != committed { // another worker moved on meanwhile
		s.close()
		return nil
	}
	return s
}

// keep stores the job's session for its next run.
func (im *Importer) keep(jobID string, s *session) {
	im.mu.Lock()
	defer im.mu.Unlock()
	if im.sessions == nil {
		im.sessions = map[string]*session{}
	}
	if old := im.sessions[jobID]; old != nil {
		old.close()
	}
	s.used = time.Now()
	im.sessions[jobID] = s
}

// run is one Run of one job.
type run struct {
	im     *Importer
	job    *userport.Job
	s      *session
	state  *userport.ImportState
	start  time.Time // wall clock: the budget is real time
	budget time.Duration
	bytes0 int64 // bytes read when the run started, for the rate
	size   batchSizer
	free   time.Time // wall clock: when the last commit freed the writer
}

// loop writes the batches the reader goroutine sends until the file ends,
// the budget runs out or something fails. Batches read ahead and not written
// go back to the session.
func (r *run) loop(ctx context.Context) (*userport.ImportState, bool, error) {
	rctx, cancel := context.WithCancel(ctx)
	r.bytes0 = r.s.rd.BytesRead()
	items := make(chan item) // one batch written, one read ahead: no more in memory
	var leftover []item
	go func() {
		leftover = r.read(rctx, items, r.s.pending)
		close(items) // after leftover is set: the drain below sees it
	}()
	st, done, err := r.write(ctx, items)
	cancel()
	var rest []item
	for it := range items { // wait for the reader; keep what it read
		rest = append(rest, it)
	}
	r.s.pending, r.s.next = append(rest, leftover...), st.Records
	return st, done, err
}

// write commits the batches of items until the end, the budget or an error.
func (r *run) write(ctx context.Context, items <-chan item) (*userport.ImportState, bool, error) {
	for it := range items {
		if it.err != nil {
			return r.state, false, it.err
		}
		if it.batch != nil {
			if err := r.leaveGap(ctx); err != nil {
				return r.state, false, err
			}
			var err error
			if it, err = r.commit(ctx, it, items); err != nil {
				return r.state, false, err
			}
			r.free = time.Now()
			if it.err != nil { // met after the last batch committed
				return r.state, false, it.err
			}
		}
		if it.eof {
			return r.state, true, nil
		}
		if r.budget > 0 && time.Since(r.start) >= r.budget {
			return r.state, false, nil
		}
	}
	return r.state, false, ctx.Err()
}

// leaveGap waits until the writer has been free for the batch gap since
// this run's last commit (the time spent receiving the next batch counts).
func (r *run) leaveGap(ctx context.Context) error {
	gap := r.im.BatchGap
	if gap == 0 {
		gap = DefaultBatchGap
	}
	wait := time.Until(r.free.Add(gap))
	if r.free.IsZero() || wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// commit writes the batch of it with the job's progress, and with a
// BatchesStore the batches of items that follow in the same transaction
// (see DefaultHoldTime). It returns the last item taken from items.
func (r *run) commit(ctx context.Context, it item, items <-chan item) (item, error) {
	if err := r.prepare(it.batch, r.state.Records); err != nil {
		return it, err
	}
	hold := r.im.HoldTime
	if hold == 0 {
		hold = DefaultHoldTime
	}
	bs, ok := r.im.Store.(BatchesStore)
	clock := r.im.clock()
	start := clock.Now()
	if !ok || hold < 0 {
		st, err := r.im.Store.WriteImportBatch(ctx, it.batch)
		if err != nil {
			return it, err
		}
		r.size.observe(int(it.batch.To-it.batch.From), clock.Now().Sub(start))
		r.state = st
		return it, nil
	}
	until := time.Now().Add(hold)
	if r.budget > 0 && r.start.Add(r.budget).Before(until) {
		until = r.start.Add(r.budget)
	}
	t := &txBatches{r: r, items: items, last: it, hold: until, started: start}
	st, err := bs.WriteImportBatches(ctx, it.batch, t.next)
	if err != nil {
		return t.last, err
	}
	if !t.observed { // the store committed after this batch without asking for another
		r.size.observe(int(t.last.batch.To-t.last.batch.From), clock.Now().Sub(t.started))
	}
	r.state = st
	return t.last, nil
}

// prepare checks that b continues the cursor at from and sets the job's
// progress on it.
func (r *run) prepare(b *userport.ImportBatch, from int64) error {
	if b.From != from {
		return fmt.Errorf("import %s: batch from record %d, cursor at %d", r.job.ID, b.From, from)
	}
	b.PercentageDone, b.TimeLeftSeconds = r.progress(b.BytesRead)
	return nil
}

// waitPoll is how often a transaction waiting for the next batch asks
// whether another writer waits.
const waitPoll = 2 * time.Millisecond

// txBatches hands the batches read ahead to one transaction of a
// BatchesStore until its hold time has passed, the file ends, reading
// fails or another writer waits.
type txBatches struct {
	r        *run
	items    <-chan item
	last     item      // the last item taken; its batch is written
	hold     time.Time // wall clock: no batch begins after it
	started  time.Time // the importer's clock: when the last batch began
	observed bool      // the last batch's time went to the sizer
}

// next is the next batch of the transaction, or nil to commit.
func (t *txBatches) next(ctx context.Context, waiting func() bool) *userport.ImportBatch {
	clock := t.r.im.clock()
	b := t.last.batch
	t.r.size.observe(int(b.To-b.From), clock.Now().Sub(t.started))
	t.observed = true
	if t.last.eof || !time.Now().Before(t.hold) {
		return nil
	}
	tick := time.NewTicker(waitPoll)
	defer tick.Stop()
	for {
		select {
		case it, ok := <-t.items:
			if !ok { // the reader stopped: ctx is done
				t.last = item{batch: b, err: fmt.Errorf("import %s: %w", t.r.job.ID, context.Cause(ctx))}
				return nil
			}
			if it.err == nil && it.batch != nil {
				it.err = t.r.prepare(it.batch, b.To)
			}
			if it.err != nil || it.batch == nil {
				it.batch = b // the last batch written, for the sizer
				t.last = it
				return nil
			}
			t.last, t.started, t.observed = it, clock.Now(), false
			return it.batch
		case <-tick.C:
			if waiting() || !time.Now().Before(t.hold) {
				return nil
			}
		case <-ctx.Done():
			return nil
		}
	}
}

// progress computes percentage_done (0-99) from the bytes of the file read,
// and time_left_seconds from this run's rate.
func (r *run) progress(read int64) (pct, left int) {
	size := r.state.FileBytes
	if size <= 0 || read <= 0 {
		return 0, 0
	}
	pct = min(int(min(read, size)*100/size), 99)
	done := read - r.bytes0
	secs := time.Since(r.start).Seconds()
	if done <= 0 || secs <= 0 {
		return pct, 0
	}
	left = int(float64(max(size-read, 0))/(float64(done)/secs) + 0.5)
	return pct, left
}

// read sends the pending items, then batches of validated records, until
// the file ends, reading fails or ctx is done, and returns what it could not
// send.
func (r *run) read(ctx context.Context, items chan<- item, pending []item) []item {
	from := r.state.Records
	for {
		var it item
		if len(pending) > 0 {
			it, pending = pending[0], pending[1:]
		} else {
			it.batch, it.eof, it.err = r.readBatch(from, r.size.next())
		}
		select {
		case items <- it:
		case <-ctx.Done():
			return append([]item{it}, pending...)
		}
		if it.eof || it.err != nil {
			return nil
		}
		from = it.batch.To
	}
}

// readBatch reads up to size records starting at record from.
func (r *run) readBatch(from int64, size int) (*userport.ImportBatch, bool, error) {
	b := &userport.ImportBatch{Tenant: r.job.Tenant, JobID: r.job.ID, ConnectionID: r.s.builder.Connection.ID,
		Upsert: r.job.Upsert, From: from, To: from}
	b.Users = make([]userport.ImportUser, 0, size)
	for b.To-b.From < int64(size) {
		raw, err := r.s.rd.Next()
		if errors.Is(err, io.EOF) {
			b.BytesRead = r.s.rd.BytesRead()
			if b.To == b.From {
				return nil, true, nil
			}
			return b, true, nil
		} else if err != nil {
			return nil, false, err
		}
		u, failed := r.s.builder.Build(b.To, raw)
		if failed != nil {
			b.Failed = append(b.Failed, *failed)
		} else {
			b.Users = append(b.Users, *u)
		}
		b.To++
	}
	b.BytesRead = r.s.rd.BytesRead()
	return b, false, nil
}

// clock is Clock or the system clock.
func (im *Importer) clock() userport.Clock {
	if im.Clock != nil {
		return im.Clock
	}
	return userport.SystemClock{}
}
