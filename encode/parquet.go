package encode

import (
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/userport/userport"
	"github.com/userport/userport/fieldpath"
)

// Parquet writes users as one Apache Parquet file: a column per field, named
// by its export_as or its name, typed from Auth0's profile schema
// (parquetColumn), every column optional: an absent or null value is a null.
// Column chunks are zstd-compressed, with statistics (min, max, nulls) per
// page and per chunk; data pages are version 1 (ParquetDataPageVersion).
//
// Row groups end at ParquetLimits' rows or bytes, whichever comes first, so
// memory stays flat whatever the number of users: a row group's encoded
// pages are held until it is written out.
//
// The file of an incremental export (NewIncremental) has a last column,
// deleted_at (a timestamp): null for the users, and for a tombstone (a
// deleted user) its time, beside the user_id in the user_id column(s), every
// other column null.
//
// CSV's injection guard does not apply: values are typed, never read as
// formulas. A value whose JSON type does not fit its column (every write
// path keeps the schema, so only a damaged document has one) is an
// ErrInvalidDocument.
//
// Rows go to the Parquet writer in batches, which a goroutine of the
// encoder's own encodes and compresses while the next batch is filled (the
// goroutine starts with the first full batch and ends in Close: an encoder
// that wrote rows must be closed, even after an error).
type Parquet struct {
	w       *parquetWriter
	res     *fieldpath.Resolver
	cols    []parquetColumn
	names   []string
	idCols  []int // the columns of the field user_id
	deleted bool  // the last column is deleted_at (an incremental export)
	vals    []fieldpath.Value
	counts  counts
	batch   *rowBatch // the rows not yet handed to the writer

	err    error // sticky: the writer's
	closed bool
}

// ParquetLimits bound a Parquet file's row groups.
type ParquetLimits struct {
	Rows  int64 // rows of a row group (DefaultParquetRowGroupRows when 0)
	Bytes int64 // its encoded bytes, held in memory until written (DefaultParquetRowGroupBytes when 0)
}

// Defaults of ParquetLimits. DuckDB reads a row group per thread (its own
// files hold 122,880 rows a group), Spark a row group per task. 8 MiB is
// about 110,000 users of the default fields: against 32 MiB it took the
// encoder's peak heap from 144 to 95 MB for 1,000,000 users, and the file
// the same size (docs/benchmarks.md, session 10 (parquet)).
const (
	DefaultParquetRowGroupRows  = 1_000_000
	DefaultParquetRowGroupBytes = 8 << 20
)

// ParquetDataPageVersion is the version of the data pages of a Parquet
// file: 1, which every reader reads; DuckDB reads version 2 as well, and
// Spark's vectorized reader did too, but pyarrow, DuckDB and parquet-mr
// write version 1 by default (docs/benchmarks.md, session 10 (parquet)).
const ParquetDataPageVersion = 1

// batchRows is how many rows Parquet hands its writer at a time.
const batchRows = 256

// NewParquet returns a Parquet encoder of fields that writes to w; no fields
// means DefaultCSVFields. Nothing is written before the first row group, or
// Close. The error says which field path is malformed or which column name
// is given twice.
func NewParquet(w io.Writer, fields []userport.Field) (*Parquet, error) {
	return newParquet(w, fields, false, ParquetLimits{})
}

// NewParquetLimits is NewParquet with row groups bounded by limits.
func NewParquetLimits(w io.Writer, fields []userport.Field, limits ParquetLimits) (*Parquet, error) {
	return newParquet(w, fields, false, limits)
}

func newParquet(w io.Writer, fields []userport.Field, incremental bool, limits ParquetLimits) (*Parquet, error) {
	if len(fields) == 0 {
		fields = DefaultCSVFields()
	}
	paths, err := parseFields(fields)
	if err != nil {
		return nil, err
	}
	cols := make([]parquetColumn, len(paths), len(paths)+1)
	var idCols []int
	for i, p := range paths {
		cols[i] = columnOf(p)
		if p.String() == "user_id" {
			idCols = append(idCols, i)
		}
	}
	names := columnNames(fields)
	if incremental {
		cols, names = append(cols, columnTime), append(names, "deleted_at")
	}
	schema, err := parquetSchema(names, cols)
	if err != nil {
		return nil, err
	}
	cfg, err := parquet.NewWriterConfig(schema, parquet.Compression(&zstdCodec),
		parquet.DataPageVersion(ParquetDataPageVersion), parquet.DataPageStatistics(true),
		parquet.CreatedBy("userport", "", ""))
	if err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	pw := newParquetWriter(w, cfg, limits)
	return &Parquet{w: pw, res: fieldpath.NewResolver(paths...), cols: cols, names: names, idCols: idCols,
		deleted: incremental, vals: make([]fieldpath.Value, len(paths)), counts: make(counts, len(paths)),
		batch: newBatch()}, nil
}

// columnNames are the columns' names: each field's export_as, or its name.
func columnNames(fields []userport.Field) []string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.ExportAs
		if names[i] == "" {
			names[i] = f.Name
		}
	}
	return names
}

// Encode writes one row for the user whose profile is doc. A write error is
// sticky; an ErrInvalidDocument error is not, and writes nothing.
func (p *Parquet) Encode(doc []byte) error {
	if err := p.ready(); err != nil {
		return err
	}
	if err := p.res.Resolve(doc, p.vals); err != nil {
		return invalid(err)
	}
	b := p.batch
	row, mark := b.rows[b.n][:0], len(b.arena)
	for i, v := range p.vals {
		val, err := p.value(i, v)
		if err != nil {
			b.arena = b.arena[:mark]
			return invalid(fmt.Errorf("column %q: %w", p.names[i], err))
		}
		row = append(row, val)
	}
	if p.deleted {
		row = append(row, parquet.NullValue().Level(0, 0, len(p.vals)))
	}
	p.counts.add(p.vals)
	return p.endRow(row)
}

// EncodeTombstone writes the row of a deleted user: its user_id in the
// user_id column(s), its deleted_at in the last column, every other column
// null. Only an incremental export's encoder writes them.
func (p *Parquet) EncodeTombstone(t userport.Tombstone) error {
	if err := p.ready(); err != nil {
		return err
	}
	if !p.deleted {
		return ErrNotIncremental
	}
	b := p.batch
	row, id := b.rows[b.n][:0], 0
	for i := range p.vals {
		if id < len(p.idCols) && p.idCols[id] == i {
			start := len(b.arena)
			b.arena = append(b.arena, t.UserID...)
			row = append(row, parquet.ByteArrayValue(b.arena[start:]).Level(0, 1, i))
			id++
			continue
		}
		row = append(row, parquet.NullValue().Level(0, 0, i))
	}
	row = append(row, parquet.Int64Value(t.DeletedAt.UnixMilli()).Level(0, 1, len(p.vals)))
	return p.endRow(row)
}

// FieldCounts returns, per column, how many users had a value there.
func (p *Parquet) FieldCounts() []int64 { return p.counts }

// Close writes the rows still buffered, the last row group and the file's
// footer, and returns the sticky error. It does not close the underlying
// writer.
func (p *Parquet) Close() error {
	if p.closed {
		return p.err
	}
	p.closed = true
	err := p.w.close(p.batch)
	if p.err == nil && err != nil {
		p.err = fmt.Errorf("encode: write: %w", err)
	}
	return p.err
}

func (p *Parquet) ready() error {
	if p.closed {
		return ErrClosed
	}
	if p.err == nil {
		if err := p.w.failure(); err != nil {
			p.err = fmt.Errorf("encode: write: %w", err)
		}
	}
	return p.err
}

// endRow keeps row in the batch, and hands the batch to the writer once it
// is full.
func (p *Parquet) endRow(row parquet.Row) error {
	b := p.batch
	b.rows[b.n] = row
	if b.n++; b.n == len(b.rows) {
		p.batch = p.w.send(b)
	}
	return nil
}

// errColumnType is a value whose JSON type does not fit its column.
var errColumnType = errors.New("a value of the wrong type")

// zstdCodec compresses column chunks at zstd's fastest level: the default
// level took a third of a Parquet export's encoding time, for files a few
// percent smaller (docs/benchmarks.md, session 10 (parquet)).
var zstdCodec = zstd.Codec{Level: zstd.SpeedFastest}
