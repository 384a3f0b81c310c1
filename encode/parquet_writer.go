package encode

import (
	"cmp"
	"io"
	"sync/atomic"

	"github.com/parquet-go/parquet-go"
)

// rowBatch is the rows an encoder hands its writer at a time, and the
// bytes their values point into.
type rowBatch struct {
	rows  []parquet.Row
	n     int // rows filled
	arena []byte
}

// parquetWriter writes batches of rows to a Parquet writer from a goroutine
// of its own, started by the first batch sent: the encoder projects the next
// users meanwhile, on another core. It ends row groups at its limits. The
// Parquet writer is made by the first write (an encoder made only to
// validate fields allocates none of its buffers).
type parquetWriter struct {
	out        io.Writer
	cfg        *parquet.WriterConfig
	pw         *parquet.Writer // nil until the first write
	limits     ParquetLimits
	group      int64 // rows in the current row group
	flushed    int64 // pw.Size() when the last row group was written
	full, free chan *rowBatch
	done       chan struct{}
	started    bool
	failed     atomic.Bool
	err        error // the first write error: set before failed, read after failed or done
}

// batchesInFlight is how many batches an encoder and its writer share: one
// filled, one written, one spare.
const batchesInFlight = 3

func newParquetWriter(out io.Writer, cfg *parquet.WriterConfig, limits ParquetLimits) *parquetWriter {
	return &parquetWriter{out: out, cfg: cfg, limits: limits,
		full: make(chan *rowBatch, batchesInFlight), free: make(chan *rowBatch, batchesInFlight), done: make(chan struct{})}
}

// newBatch returns an empty batch; its rows' slices are made as they are
// first filled, and kept.
func newBatch() *rowBatch { return &rowBatch{rows: make([]parquet.Row, batchRows)} }

// send hands the full batch b to the writer and returns an empty one.
func (w *parquetWriter) send(b *rowBatch) *rowBatch {
	if !w.started {
		w.started = true
		for range batchesInFlight - 1 {
			w.free <- newBatch()
		}
		go w.run()
	}
	w.full <- b
	return <-w.free
}

// failure returns the writer's error, if it has failed.
func (w *parquetWriter) failure() error {
	if w.failed.Load() {
		return w.err
	}
	return nil
}

// run writes the batches sent until close; after an error it only hands
// them back.
func (w *parquetWriter) run() {
	defer close(w.done)
	for b := range w.full {
		if w.err == nil {
			if w.err = w.write(b); w.err != nil {
				w.failed.Store(true)
			}
		}
		b.n, b.arena = 0, b.arena[:0]
		w.free <- b
	}
}

// write hands b's rows to the Parquet writer (which copies their values),
// ending the row group where it reaches its limit of rows, or once it holds
// its limit of bytes.
func (w *parquetWriter) write(b *rowBatch) error {
	w.open()
	maxRows, maxBytes := cmp.Or(w.limits.Rows, DefaultParquetRowGroupRows), cmp.Or(w.limits.Bytes, DefaultParquetRowGroupBytes)
	for rows := b.rows[:b.n]; len(rows) > 0; {
		n := int(min(int64(len(rows)), maxRows-w.group))
		if _, err := w.pw.WriteRows(rows[:n]); err != nil {
			return err
		}
		rows, w.group = rows[n:], w.group+int64(n)
		if w.group < maxRows && w.pw.Size()-w.flushed < maxBytes {
			continue
		}
		if err := w.pw.Flush(); err != nil {
			return err
		}
		w.group, w.flushed = 0, w.pw.Size()
	}
	return nil
}

// close writes last (a batch not full), stops the goroutine, and writes
// the last row group and the footer.
func (w *parquetWriter) close(last *rowBatch) error {
	if w.started {
		close(w.full)
		<-w.done
	}
	if w.err != nil {
		return w.err
	}
	if err := w.write(last); err != nil {
		return err
	}
	return w.pw.Close()
}

// open makes the Parquet writer, once.
func (w *parquetWriter) open() {
	if w.pw == nil {
		w.pw = parquet.NewWriter(w.out, w.cfg)
	}
}
