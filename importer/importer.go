package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/userport/userport"
)

// DefaultBatchSize is how many records go into one transaction.
const DefaultBatchSize = 1000

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

// Importer imports the files of import jobs.
type Importer struct {
	Store     Store
	Files     Source
	Clock     userport.Clock
	BatchSize int // records per transaction (DefaultBatchSize when 0)
}

// Run imports job's file from its committed cursor, batch after batch, for
// about budget (0: no limit): the batch under way when the budget runs out
// is finished, the ones read ahead are dropped and read again by the next
// run. It returns the committed state and whether the whole file is done.
//
// While one goroutine writes a batch, another reads and validates the next.
// An EINVALID error means the file cannot be read as users; ECONFLICT that
// another worker moved the cursor.
func (im *Importer) Run(ctx context.Context, job *userport.Job, budget time.Duration) (*userport.ImportState, bool, error) {
	conn, err := im.Store.FindConnection(ctx, job.Tenant, job.ConnectionID)
	if userport.ErrorCode(err) == userport.ENOTFOUND {
		return nil, false, userport.Errorf(userport.EINVALID, "", "The connection %s does not exist any more.", job.ConnectionID)
	} else if err != nil {
		return nil, false, err
	}
	st, err := im.Store.FindImportState(ctx, job.Tenant, job.ID)
	if err != nil {
		return nil, false, err
	}
	f, err := im.Files.Open(ctx, job.UploadKey)
	if err != nil {
		return nil, false, fmt.Errorf("open the import file: %w", err)
	}
	defer f.Close()
	rd, err := NewReader(f)
	if err != nil {
		return nil, false, err
	}
	if err := rd.Skip(st.Records); err != nil {
		return nil, false, err
	}
	r := &run{im: im, job: job, conn: conn, rd: rd, state: st, start: time.Now(), budget: budget}
	return r.loop(ctx)
}

// run is one Run of one job.
type run struct {
	im     *Importer
	job    *userport.Job
	conn   *userport.Connection
	rd     *Reader
	state  *userport.ImportState
	start  time.Time // wall clock: the budget is real time
	budget time.Duration
	bytes0 int64 // bytes read when the run started, for the rate
}

// item is a batch read ahead, or the end of the file, or an error.
type item struct {
	batch *userport.ImportBatch
	eof   bool
	err   error
}

// loop writes the batches the reader goroutine sends until the file ends,
// the budget runs out or something fails.
func (r *run) loop(ctx context.Context) (*userport.ImportState, bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	r.bytes0 = r.rd.BytesRead()
	items := make(chan item, 1)
	go r.read(ctx, items)
	defer func() {
		cancel()
		for range items { // wait for the reader: the file closes after Run
		}
	}()
	for it := range items {
		if it.err != nil {
			return r.state, false, it.err
		}
		if it.batch != nil {
			if err := r.write(ctx, it.batch); err != nil {
				return r.state, false, err
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

// write commits one batch with the job's progress.
func (r *run) write(ctx context.Context, b *userport.ImportBatch) error {
	b.PercentageDone, b.TimeLeftSeconds = r.progress(b.BytesRead)
	st, err := r.im.Store.WriteImportBatch(ctx, b)
	if err != nil {
		return err
	}
	r.state = st
	return nil
}

// progress computes percentage_done (0-99) from the bytes of the file read,
// and time_left_seconds from this run's rate.
func (r *run) progress(read int64) (pct, left int) {
	size := r.state.FileBytes
	if size <= 0 || read <= 0 {
		return 0, 0
	}
	pct = int(min(read, size) * 100 / size)
	pct = min(pct, 99)
	done := read - r.bytes0
	secs := time.Since(r.start).Seconds()
	if done <= 0 || secs <= 0 {
		return pct, 0
	}
	left = int(float64(max(size-read, 0))/(float64(done)/secs) + 0.5)
	return pct, left
}

// read sends batches of validated records until the file ends, ctx is done
// or reading fails; it closes items.
func (r *run) read(ctx context.Context, items chan<- item) {
	defer close(items)
	builder := &Builder{Tenant: r.job.Tenant, Connection: r.conn, Now: r.im.clock().Now()}
	from := r.state.Records
	for {
		batch, eof, err := r.readBatch(builder, from)
		select {
		case items <- item{batch: batch, eof: eof, err: err}:
		case <-ctx.Done():
			return
		}
		if eof || err != nil {
			return
		}
		from = batch.To
	}
}

// readBatch reads up to BatchSize records starting at record from.
func (r *run) readBatch(builder *Builder, from int64) (*userport.ImportBatch, bool, error) {
	b := &userport.ImportBatch{Tenant: r.job.Tenant, JobID: r.job.ID, ConnectionID: r.conn.ID,
		Upsert: r.job.Upsert, From: from, To: from}
	size := r.im.batchSize()
	b.Users = make([]userport.ImportUser, 0, size)
	for b.To-b.From < int64(size) {
		raw, err := r.rd.Next()
		if errors.Is(err, io.EOF) {
			b.BytesRead = r.rd.BytesRead()
			if b.To == b.From {
				return nil, true, nil
			}
			return b, true, nil
		} else if err != nil {
			return nil, false, err
		}
		u, failed := builder.Build(b.To, raw)
		if failed != nil {
			b.Failed = append(b.Failed, *failed)
		} else {
			b.Users = append(b.Users, *u)
		}
		b.To++
	}
	b.BytesRead = r.rd.BytesRead()
	return b, false, nil
}

// batchSize is BatchSize or its default.
func (im *Importer) batchSize() int {
	if im.BatchSize > 0 {
		return im.BatchSize
	}
	return DefaultBatchSize
}

// clock is Clock or the system clock.
func (im *Importer) clock() userport.Clock {
	if im.Clock != nil {
		return im.Clock
	}
	return userport.SystemClock{}
}
