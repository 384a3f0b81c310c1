// Package export is the export pipeline: keyset pages of stored profiles are
// read ahead by one goroutine while another projects and encodes them (CSV or
// NDJSON) into a gzip stream. Memory is bounded by a few pages, whatever the
// number of users.
package export

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"runtime"
	"sort"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/pgzip"
	"github.com/tidwall/gjson"

	"github.com/userport/userport"
	"github.com/userport/userport/encode"
)

// Defaults of the pipeline.
const (
	DefaultPageSize  = 1000
	DefaultGzipLevel = gzip.BestSpeed
	DefaultBlockSize = 512 << 10 // see Exporter.BlockSize
	pagesInFlight    = 3         // pages read ahead plus the one being encoded
	writeBufferSize  = 256 << 10
)

// Scanner reads keyset pages of users; userport.UserStore is one.
type Scanner interface {
	ReadUsers(ctx context.Context, s userport.UserScan, p *userport.UserPage) error
}

// Exporter writes export files from a user store.
type Exporter struct {
	Users     Scanner
	PageSize  int // users per keyset page (DefaultPageSize when 0)
	GzipLevel int // compression level (DefaultGzipLevel when 0)
	// GzipThreads is how many goroutines compress: 1 uses klauspost's gzip
	// in the encoding goroutine; more (default GOMAXPROCS) use pgzip, which
	// deflates blocks in parallel into one gzip member.
	GzipThreads int
	// BlockSize is pgzip's block size (DefaultBlockSize when 0). pgzip
	// holds about four blocks and their output per thread pair; at 512 KiB
	// that is half of what 1 MiB blocks held (4.5 MB, not 9.5), with the
	// same speed and a compressed size within 0.05 % (docs/benchmarks.md).
	BlockSize int
}

// Export writes job's users to w as a gzip'd CSV or NDJSON file, calling
// progress with the number of users of each page it has encoded, and returns
// how many users it wrote. When it returns, nothing writes to w any more,
// even after an error: pgzip writes from goroutines of its own, and a failed
// export's writer is discarded by the caller.
func (e *Exporter) Export(ctx context.Context, job *userport.Job, w io.Writer, progress func(n int64)) (int64, error) {
	return e.export(ctx, job, span{header: true}, w, progress)
}

// ExportPart writes the users of one part of a split export (its user_id
// range) to w as one gzip member, as Export does: only part 0 has the CSV
// header, so that the parts' members, end to end, decompress to the bytes
// of the whole file that Export writes. The job's limit is not applied (a
// limited export is never split).
func (e *Exporter) ExportPart(ctx context.Context, job *userport.Job, part *userport.ExportPart, w io.Writer, progress func(n int64)) (int64, error) {
	return e.export(ctx, job, span{after: part.After, until: part.Until, header: part.Index == 0, whole: true}, w, progress)
}

// span is the users an export writes: after after ("" from the first) up to
// until included ("" to the last), all of them (whole) or up to the job's
// limit, with the CSV header or not.
type span struct {
	after, until  string
	header, whole bool
}

func (e *Exporter) export(ctx context.Context, job *userport.Job, sp span, w io.Writer, progress func(n int64)) (int64, error) {
	bw := bufio.NewWriterSize(w, writeBufferSize)
	zw, err := e.newGzip(bw)
	if err != nil {
		return 0, fmt.Errorf("gzip: %w", err)
	}
	zwOpen := true
	defer func() {
		if zwOpen {
			_ = zw.Close() // waits for pgzip's goroutines; the output is discarded
		}
	}()
	var enc encode.Encoder
	if job.Format == userport.FormatCSV && !sp.header {
		enc, err = encode.NewCSVBody(zw, job.Fields)
	} else {
		enc, err = encode.New(zw, job.Format, job.Fields)
	}
	if err != nil {
		return 0, err
	}
	rows, err := e.encodeAll(ctx, job, sp, enc, progress)
	if err != nil {
		return rows, err
	}
	if err := enc.Close(); err != nil {
		return rows, fmt.Errorf("encode: %w", err)
	}
	zwOpen = false
	if err := zw.Close(); err != nil {
		return rows, fmt.Errorf("gzip: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return rows, fmt.Errorf("write: %w", err)
	}
	return rows, nil
}

// encodeAll encodes the pages the reader sends until the users or the limit
// run out.
func (e *Exporter) encodeAll(ctx context.Context, job *userport.Job, sp span, enc encode.Encoder, progress func(int64)) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := newReader(e.Users, job, sp, e.pageSize())
	go r.run(ctx)
	var rows int64
	for p := range r.full {
		for i := range p.Len() {
			if err := enc.Encode(p.Doc(i)); err != nil {
				cancel()
				r.drain()
				return rows, fmt.Errorf("encode: %w", err)
			}
		}
		rows += int64(p.Len())
		if progress != nil {
			progress(int64(p.Len()))
		}
		r.free <- p
	}
	if err := r.err; err != nil {
		return rows, err
	}
	return rows, ctx.Err()
}

// newGzip returns the compressor for GzipThreads.
func (e *Exporter) newGzip(w io.Writer) (io.WriteCloser, error) {
	threads := cmp.Or(e.GzipThreads, runtime.GOMAXPROCS(0))
	if threads <= 1 {
		return gzip.NewWriterLevel(w, e.level())
	}
	zw, err := pgzip.NewWriterLevel(w, e.level())
	if err != nil {
		return nil, err
	}
	return zw, zw.SetConcurrency(cmp.Or(e.BlockSize, DefaultBlockSize), threads)
}

func (e *Exporter) pageSize() int {
	if e.PageSize > 0 {
		return e.PageSize
	}
	return DefaultPageSize
}

func (e *Exporter) level() int {
	if e.GzipLevel != 0 {
		return e.GzipLevel
	}
	return DefaultGzipLevel
}

// reader reads pages ahead of the encoder, straight into the pages the
// encoder reads: the store writes each document once.
type reader struct {
	users    Scanner
	job      *userport.Job
	span     span
	pageSize int
	full     chan *userport.UserPage // pages to encode, closed at the end
	free     chan *userport.UserPage // pages to reuse
	err      error                   // set before full is closed
}

func newReader(users Scanner, job *userport.Job, sp span, pageSize int) *reader {
	r := &reader{users: users, job: job, span: sp, pageSize: pageSize,
		full: make(chan *userport.UserPage, pagesInFlight), free: make(chan *userport.UserPage, pagesInFlight)}
	for range pagesInFlight {
		r.free <- &userport.UserPage{Ends: make([]int, 0, pageSize)}
	}
	return r
}

// run reads every page of the span in user_id order, honouring the job's
// limit.
func (r *reader) run(ctx context.Context) {
	defer close(r.full)
	limit := int64(r.job.Limit)
	if r.span.whole {
		limit = 0
	}
	after, remaining := r.span.after, limit
	for remaining > 0 || limit == 0 {
		var p *userport.UserPage
		select {
		case p = <-r.free:
		case <-ctx.Done():
			r.err = ctx.Err()
			return
		}
		size := r.pageSize
		if limit > 0 {
			size = int(min(int64(size), remaining))
		}
		scan := userport.UserScan{Tenant: r.job.Tenant, ConnectionID: r.job.ConnectionID, After: after, Limit: size}
		if err := r.users.ReadUsers(ctx, scan, p); err != nil {
			r.err = fmt.Errorf("read users: %w", err)
			return
		}
		n := p.Len()
		end := r.span.until != "" && p.Last > r.span.until
		if end {
			n = cutAfter(p, r.span.until)
		}
		if n == 0 {
			return
		}
		after, remaining = p.Last, remaining-int64(n)
		r.full <- p // the encoder's from now on
		if n < size || end {
			return
		}
	}
}

// drain lets the reader finish after the encoder stopped early.
func (r *reader) drain() {
	for p := range r.full {
		select {
		case r.free <- p:
		default:
		}
	}
}

// cutAfter drops the documents of p whose user_id is beyond until (the page
// that crosses a split export's range end) and returns how many are left.
func cutAfter(p *userport.UserPage, until string) int {
	n := sort.Search(p.Len(), func(i int) bool { return gjson.GetBytes(p.Doc(i), "user_id").Str > until })
	p.Ends = p.Ends[:n]
	return n
}
