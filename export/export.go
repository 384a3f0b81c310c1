// Package export is the export pipeline: keyset pages of stored profiles are
// read ahead by one goroutine while another projects and encodes them (CSV or
// NDJSON into a gzip stream; Parquet, which compresses its own columns, as it
// is). Memory is bounded by a few pages, whatever the
// number of users.
package export

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"
	"strconv"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/pgzip"
	"github.com/tidwall/gjson"

	"github.com/userport/userport"
	"github.com/userport/userport/encode"
	"github.com/userport/userport/search"
)

// Defaults of the pipeline.
const (
	DefaultPageSize  = 1000
	DefaultGzipLevel = gzip.BestSpeed
	DefaultBlockSize = 512 << 10 // see Exporter.BlockSize
	pagesInFlight    = 3         // pages read ahead plus the one being encoded
	writeBufferSize  = 256 << 10
)

// Store is what an Exporter reads users from; userport.Store is one. A full
// export reads keyset pages in user_id order (ReadUsers); a filtered one
// (Job.Query) the search's index ranges (search.Matches); an incremental one
// (Job.ChangesSince) its changes and tombstones (ChangeReader).
type Store interface {
	search.Scanner
	ChangeReader
}

// ChangeReader reads a store's changed users and tombstones: the part of
// userport.ChangeStore an incremental export reads.
type ChangeReader interface {
	ReadChanges(ctx context.Context, s userport.ChangeScan, p *userport.UserPage) error
	ReadTombstones(ctx context.Context, s userport.ChangeScan, p *userport.TombstonePage) error
}

// Exporter writes export files from a user store.
type Exporter struct {
	Users     Store
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

// Result is what an export wrote: the manifest's figures.
type Result struct {
	Rows       int64 // users
	Tombstones int64 // deleted users (incremental exports)
	// FieldCounts holds, per field of the job (of encode's default CSV
	// fields for a CSV job without fields; none for a JSON job without
	// fields: every root attribute), how many of the users written had a
	// value there: present and not null.
	FieldCounts []int64
}

// Add adds the figures of another part of the same file (a split export's).
func (r *Result) Add(o Result) {
	r.Rows += o.Rows
	r.Tombstones += o.Tombstones
	if r.FieldCounts == nil {
		r.FieldCounts = make([]int64, len(o.FieldCounts))
	}
	for i := range min(len(r.FieldCounts), len(o.FieldCounts)) {
		r.FieldCounts[i] += o.FieldCounts[i]
	}
}

// Export writes job's users to w as a gzip'd CSV or NDJSON file, or a
// Parquet file, and returns what it wrote. It reads, by the job:
//
//   - every user (of the job's connection) in user_id order, up to the
//     job's limit;
//   - with a Query, the users that match it (and the connection), up to
//     the limit, through the index ranges of the query's search plan (so in
//     the order of the index it reads; user_id order without one). progress
//     counts the candidates read (every user of the connection without an
//     index), not only the matches, so that it moves steadily;
//   - with ChangesSince, the users changed after the watermark whose Low is
//     job.Since up to job.Mark.High (that match the Query, when there is
//     one; up to the limit), then the tombstones of the users deleted
//     meanwhile (all of them, whatever the query and the limit: a
//     tombstone of a user the reader never had is a no-op), in change order.
//     progress counts the changes and tombstones read.
//
// It calls progress with the users of each page it has encoded (read, for
// filtered and incremental exports). When it returns, nothing writes to w
// any more, even after an error: pgzip writes from goroutines of its own,
// and a failed export's writer is discarded by the caller.
func (e *Exporter) Export(ctx context.Context, job *userport.Job, w io.Writer, progress func(n int64)) (Result, error) {
	return e.export(ctx, job, span{header: true}, w, progress)
}

// ExportPart writes the users of one part of a split export (its user_id
// range) to w as one gzip member, as Export does: only part 0 has the CSV
// header, so that the parts' members, end to end, decompress to the bytes
// of the whole file that Export writes. The job's limit is not applied (a
// limited export is never split), and neither a filtered nor an incremental
// export is split.
func (e *Exporter) ExportPart(ctx context.Context, job *userport.Job, part *userport.ExportPart, w io.Writer, progress func(n int64)) (Result, error) {
	if job.Query != "" || job.ChangesSince != "" {
		return Result{}, errors.New("export: a filtered or incremental export is not split")
	}
	if !job.Format.Gzipped() {
		return Result{}, errors.New("export: a Parquet export is not split: its parts could not be joined")
	}
	return e.export(ctx, job, span{after: part.After, until: part.Until, header: part.Index == 0, whole: true}, w, progress)
}

// span is the users an export writes: after after ("" from the first) up to
// until included ("" to the last), all of them (whole) or up to the job's
// limit, with the CSV header or not.
type span struct {
	after, until  string
	header, whole bool
}

func (e *Exporter) export(ctx context.Context, job *userport.Job, sp span, w io.Writer, progress func(n int64)) (Result, error) {
	r, err := newReader(e.Users, job, sp, e.pageSize())
	if err != nil {
		return Result{}, err
	}
	bw := bufio.NewWriterSize(w, writeBufferSize)
	out, err := e.compressor(job.Format, bw)
	if err != nil {
		return Result{}, fmt.Errorf("gzip: %w", err)
	}
	outOpen := true
	defer func() {
		if outOpen {
			_ = out.Close() // waits for pgzip's goroutines; the output is discarded
		}
	}()
	var enc encode.Encoder
	switch {
	case job.ChangesSince != "":
		enc, err = encode.NewIncremental(out, job.Format, job.Fields)
	case job.Format == userport.FormatCSV && !sp.header:
		enc, err = encode.NewCSVBody(out, job.Fields)
	default:
		enc, err = encode.New(out, job.Format, job.Fields)
	}
	if err != nil {
		return Result{}, err
	}
	res, err := encodeAll(ctx, r, enc, progress)
	if err != nil {
		_ = enc.Close() // ends a Parquet encoder's goroutine; the output is discarded
		return res, err
	}
	if err := enc.Close(); err != nil {
		return res, fmt.Errorf("encode: %w", err)
	}
	outOpen = false
	if err := out.Close(); err != nil {
		return res, fmt.Errorf("gzip: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return res, fmt.Errorf("write: %w", err)
	}
	return res, nil
}

// encodeAll encodes the batches the reader sends until it has read
// everything.
func encodeAll(ctx context.Context, r *reader, enc encode.Encoder, progress func(int64)) (res Result, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer func() { res.FieldCounts = slices.Clone(enc.FieldCounts()) }()
	go r.run(ctx)
	for b := range r.full {
		for i := range b.page.Len() {
			if err := enc.Encode(b.page.Doc(i)); err != nil {
				cancel()
				r.drain()
				return res, fmt.Errorf("encode: %w", err)
			}
			res.Rows++
		}
		for _, t := range b.tombs.Tombstones {
			if err := enc.EncodeTombstone(t); err != nil {
				cancel()
				r.drain()
				return res, fmt.Errorf("encode: %w", err)
			}
			res.Tombstones++
		}
		if progress != nil {
			progress(b.read)
		}
		r.free <- b
	}
	if err := r.err; err != nil {
		return res, err
	}
	return res, ctx.Err()
}

// compressor returns what the encoder of format writes to: gzip over w,
// or, for a format that is not gzip'd (Parquet compresses its own columns),
// w itself.
func (e *Exporter) compressor(format userport.Format, w io.Writer) (io.WriteCloser, error) {
	if !format.Gzipped() {
		return nopCloser{w}, nil
	}
	return e.newGzip(w)
}

// nopCloser is a writer whose Close does nothing.
type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

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

// reader reads pages ahead of the encoder, straight into the batches the
// encoder reads: the store writes each document once (a filtered export
// moves its matches forward in the page).
type reader struct {
	users    Store
	job      *userport.Job
	query    *search.Query // nil: every user
	span     span
	pageSize int
	full     chan *batch // batches to encode, closed at the end
	free     chan *batch // batches to reuse
	err      error       // set before full is closed
}

// batch is what the reader hands the encoder at a time: users, then
// tombstones, and how many users it read for them (the progress they make).
type batch struct {
	page  userport.UserPage
	tombs userport.TombstonePage
	read  int64
}

func newReader(users Store, job *userport.Job, sp span, pageSize int) (*reader, error) {
	r := &reader{users: users, job: job, span: sp, pageSize: pageSize,
		full: make(chan *batch, pagesInFlight), free: make(chan *batch, pagesInFlight)}
	if job.Query != "" {
		q, err := search.Parse(job.Query)
		if err != nil {
			return nil, fmt.Errorf("export: q: %w", err)
		}
		r.query = q
	}
	for range pagesInFlight {
		r.free <- &batch{page: userport.UserPage{Ends: make([]int, 0, pageSize)}}
	}
	return r, nil
}

// run reads every batch of the export.
func (r *reader) run(ctx context.Context) {
	defer close(r.full)
	switch {
	case r.job.ChangesSince != "":
		r.err = r.readChanges(ctx)
	case r.query != nil:
		r.err = r.readMatches(ctx)
	default:
		r.err = r.readRange(ctx)
	}
}

// take returns an empty batch once the encoder has freed one.
func (r *reader) take(ctx context.Context) (*batch, error) {
	select {
	case b := <-r.free:
		b.page.Reset()
		b.tombs.Tombstones, b.read = b.tombs.Tombstones[:0], 0
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// limit returns the job's limit of users (0: none).
func (r *reader) limit() int64 {
	if r.span.whole {
		return 0
	}
	return int64(r.job.Limit)
}

// readRange reads every page of the span in user_id order, honouring the
// job's limit.
func (r *reader) readRange(ctx context.Context) error {
	limit := r.limit()
	after, remaining := r.span.after, limit
	for remaining > 0 || limit == 0 {
		b, err := r.take(ctx)
		if err != nil {
			return err
		}
		size := r.pageSize
		if limit > 0 {
			size = int(min(int64(size), remaining))
		}
		scan := userport.UserScan{Tenant: r.job.Tenant, ConnectionID: r.job.ConnectionID, After: after, Limit: size}
		if err := r.users.ReadUsers(ctx, scan, &b.page); err != nil {
			return fmt.Errorf("read users: %w", err)
		}
		n := b.page.Len()
		end := r.span.until != "" && b.page.Last > r.span.until
		if end {
			n = cutAfter(&b.page, r.span.until)
		}
		if n == 0 {
			return nil
		}
		after, remaining, b.read = b.page.Last, remaining-int64(n), int64(n)
		r.full <- b // the encoder's from now on
		if n < size || end {
			return nil
		}
	}
	return nil
}

// readMatches reads the users that match the job's query, up to its limit,
// a page of candidates at a time, straight into the batches. When no index
// serves the query and there is no limit, the pages go unfiltered to a
// goroutine of their own (matchPages) that keeps the matches before the
// encoder gets them.
func (r *reader) readMatches(ctx context.Context) error {
	limit := r.limit()
	m, err := search.NewMatches(ctx, r.users, search.ScanRequest{Tenant: r.job.Tenant, Query: r.query,
		ConnectionID: r.job.ConnectionID, PageSize: r.pageSize, Unfiltered: limit == 0})
	if err != nil {
		return fmt.Errorf("read users: %w", err)
	}
	var next chan<- *batch = r.full
	if m.Unfiltered() {
		var wait func()
		next, wait = r.matchPages(m)
		defer wait()
	}
	for rows := int64(0); limit == 0 || rows < limit; {
		b, err := r.take(ctx)
		if err != nil {
			return err
		}
		n, err := m.Next(ctx, &b.page)
		if err != nil {
			return fmt.Errorf("read users: %w", err)
		}
		if n == 0 {
			return nil
		}
		if limit > 0 && rows+int64(b.page.Len()) > limit {
			b.page.Ends = b.page.Ends[:limit-rows]
		}
		rows, b.read = rows+int64(b.page.Len()), int64(n)
		next <- b
	}
	return nil
}

// matchPages starts the goroutine that keeps the matches of the unfiltered
// pages sent to the channel it returns, and passes them on to the encoder;
// wait closes the channel and waits for the goroutine (before run closes
// full). The match then runs beside the reads and the encoding, where in
// the reader it made the reads the pipeline's slowest stage (a filter
// keeping 98 % of the users in a CSV of five fields: 0.52 of the full
// export's users/s by wall, 0.63 by CPU; docs/benchmarks.md, Session 10
// (changes-perf)).
func (r *reader) matchPages(m *search.Matches) (pages chan<- *batch, wait func()) {
	pending := make(chan *batch, pagesInFlight)
	matched := make(chan struct{})
	go func() {
		defer close(matched)
		for b := range pending {
			m.Filter(&b.page)
			r.full <- b
		}
	}()
	return pending, func() {
		close(pending)
		<-matched
	}
}

// readChanges reads the users changed since job.Since up to the job's
// watermark (that match its query), up to its limit, then the tombstones.
func (r *reader) readChanges(ctx context.Context) error {
	changes := r.users
	limit := r.limit()
	s := userport.ChangeScan{Tenant: r.job.Tenant, ConnectionID: r.job.ConnectionID, Since: r.job.Since, Until: r.job.Mark.High}
	for rows := int64(0); limit == 0 || rows < limit; {
		b, err := r.take(ctx)
		if err != nil {
			return err
		}
		s.Limit = r.pageSize
		if limit > 0 {
			s.Limit = int(min(int64(s.Limit), limit-rows))
		}
		if err := changes.ReadChanges(ctx, s, &b.page); err != nil {
			return fmt.Errorf("read changes: %w", err)
		}
		n := b.page.Len()
		if n > 0 {
			mark, err := strconv.ParseUint(b.page.LastKey, 10, 64)
			if err != nil {
				return fmt.Errorf("read changes: the mark of %q: %w", b.page.Last, err)
			}
			s.AfterMark, s.AfterID = mark, b.page.Last
		}
		if r.query != nil {
			r.query.Filter(&b.page)
		}
		rows, b.read = rows+int64(b.page.Len()), int64(n)
		r.full <- b
		if n < s.Limit {
			break
		}
	}
	s.AfterMark, s.AfterID, s.Limit = 0, "", r.pageSize
	for {
		b, err := r.take(ctx)
		if err != nil {
			return err
		}
		if err := changes.ReadTombstones(ctx, s, &b.tombs); err != nil {
			return fmt.Errorf("read tombstones: %w", err)
		}
		n := len(b.tombs.Tombstones)
		s.AfterMark, s.AfterID, b.read = b.tombs.LastMark, b.tombs.Last, int64(n)
		r.full <- b
		if n < s.Limit {
			return nil
		}
	}
}

// drain lets the reader finish after the encoder stopped early.
func (r *reader) drain() {
	for b := range r.full {
		select {
		case r.free <- b:
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
