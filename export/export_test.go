package export_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/userport/userport"
	"github.com/userport/userport/export"
	"github.com/userport/userport/seed"
)

// memStore is an in-memory export.Store over generated users, sorted by
// user_id, without indexes (a query with an index plan fails), and an
// export.ChangeReader of the marks and tombstones a test sets.
type memStore struct {
	ids   []string
	docs  [][]byte
	conn  []string
	marks []uint64 // per user, its change mark
	tombs []memTomb
}

// memTomb is a tombstone and its mark.
type memTomb struct {
	userport.Tombstone
	mark uint64
}

// newMemStore generates n users; every third is in connection "con_other".
func newMemStore(n int) *memStore {
	conn := &userport.Connection{ID: "con_AAAAAAAAAAAAAAAA", Name: "Username-Password-Authentication"}
	g := seed.New(7, "dev", conn, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	m := &memStore{}
	for i := range n {
		u := g.Next()
		c := conn.ID
		if i%3 == 2 {
			c = "con_other"
		}
		m.ids, m.docs, m.conn = append(m.ids, u.UserID), append(m.docs, u.Doc), append(m.conn, c)
		m.marks = append(m.marks, uint64(i%50+1))
	}
	return m
}

func (m *memStore) ReadUsers(ctx context.Context, s userport.UserScan, p *userport.UserPage) error {
	p.Reset()
	i := sort.SearchStrings(m.ids, s.After)
	if i < len(m.ids) && m.ids[i] == s.After {
		i++
	}
	for ; i < len(m.ids) && p.Len() < s.Limit; i++ {
		if s.ConnectionID != "" && m.conn[i] != s.ConnectionID {
			continue
		}
		p.Append(m.docs[i])
		p.Last = m.ids[i]
	}
	return nil
}

func (m *memStore) ScanUserKeys(context.Context, userport.UserKeyScan, *userport.UserPage) error {
	return errors.New("memStore has no index")
}

func (m *memStore) FindConnection(_ context.Context, tenant, id string) (*userport.Connection, error) {
	return nil, userport.Errorf(userport.ENOTFOUND, "inexistent_connection", "no connection %s", id)
}

func (m *memStore) FindConnectionByName(_ context.Context, tenant, name string) (*userport.Connection, error) {
	return nil, userport.Errorf(userport.ENOTFOUND, "inexistent_connection", "no connection %s", name)
}

// ReadChanges reads the users whose mark is above s.Since, up to s.Until,
// in (mark, user_id) order.
func (m *memStore) ReadChanges(_ context.Context, s userport.ChangeScan, p *userport.UserPage) error {
	p.Reset()
	var idx []int
	for i := range m.ids {
		if m.marks[i] > s.Since && m.marks[i] <= s.Until && (s.ConnectionID == "" || m.conn[i] == s.ConnectionID) &&
			(s.AfterID == "" || m.marks[i] > s.AfterMark || (m.marks[i] == s.AfterMark && m.ids[i] > s.AfterID)) {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return m.marks[idx[a]] < m.marks[idx[b]] })
	for _, i := range idx[:min(len(idx), s.Limit)] {
		p.Append(m.docs[i])
		p.Last, p.LastKey = m.ids[i], strconv.FormatUint(m.marks[i], 10)
	}
	return nil
}

// ReadTombstones reads the tombstones whose mark is above s.Since, up to
// s.Until, in (mark, user_id) order (m.tombs is in that order).
func (m *memStore) ReadTombstones(_ context.Context, s userport.ChangeScan, p *userport.TombstonePage) error {
	p.Tombstones = p.Tombstones[:0]
	for _, t := range m.tombs {
		if len(p.Tombstones) < s.Limit && t.mark > s.Since && t.mark <= s.Until &&
			(s.ConnectionID == "" || t.ConnectionID == s.ConnectionID) &&
			(s.AfterID == "" || t.mark > s.AfterMark || (t.mark == s.AfterMark && t.UserID > s.AfterID)) {
			p.Tombstones = append(p.Tombstones, t.Tombstone)
			p.LastMark, p.Last = t.mark, t.UserID
		}
	}
	return nil
}

// run exports job from m and returns the decompressed file and the rows.
func run(t testing.TB, m *memStore, job *userport.Job, pageSize int) (string, int64) {
	out, res, progress := runResult(t, m, job, pageSize)
	if progress != res.Rows {
		t.Errorf("progress reported %d users, rows %d", progress, res.Rows)
	}
	return out, res.Rows
}

// runResult exports job from m and returns the decompressed file, the
// result and the progress reported.
func runResult(t testing.TB, m *memStore, job *userport.Job, pageSize int) (string, export.Result, int64) {
	t.Helper()
	var buf bytes.Buffer
	var progress int64
	e := &export.Exporter{Users: m, PageSize: pageSize}
	res, err := e.Export(context.Background(), job, &buf, func(n int64) { progress += n })
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(out), res, progress
}

func TestExportPagesLimitsAndConnections(t *testing.T) {
	m := newMemStore(1000)
	tests := []struct {
		name     string
		job      userport.Job
		pageSize int
		rows     int64
	}{
		{"all, pages of 100", userport.Job{Format: userport.FormatJSON}, 100, 1000},
		{"all, one page", userport.Job{Format: userport.FormatJSON}, 5000, 1000},
		{"all, pages of 1", userport.Job{Format: userport.FormatJSON}, 1, 1000},
		{"limit inside a page", userport.Job{Format: userport.FormatJSON, Limit: 42}, 100, 42},
		{"limit on a page boundary", userport.Job{Format: userport.FormatJSON, Limit: 200}, 100, 200},
		{"limit above the users", userport.Job{Format: userport.FormatJSON, Limit: 5000}, 100, 1000},
		{"one connection", userport.Job{Format: userport.FormatJSON, ConnectionID: "con_other"}, 100, 333},
		{"CSV", userport.Job{Format: userport.FormatCSV, Fields: []userport.Field{{Name: "user_id"}}}, 100, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, rows := run(t, m, &tt.job, tt.pageSize)
			if rows != tt.rows {
				t.Fatalf("rows %d, want %d", rows, tt.rows)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if tt.job.Format == userport.FormatCSV {
				lines = lines[1:]
			}
			if int64(len(lines)) != tt.rows {
				t.Fatalf("%d lines, want %d", len(lines), tt.rows)
			}
			// Lines follow user_id order, and NDJSON lines are the stored documents.
			j := 0
			for _, line := range lines {
				for tt.job.ConnectionID != "" && m.conn[j] != tt.job.ConnectionID {
					j++
				}
				if tt.job.Format == userport.FormatJSON && line != string(m.docs[j]) {
					t.Fatalf("line %d is not user %d's document", j, j)
				}
				if tt.job.Format == userport.FormatCSV && line != `"'`+m.ids[j]+`"` {
					t.Fatalf("line %q, want user %s", line, m.ids[j])
				}
				j++
			}
		})
	}
}

// failingScanner fails after some pages.
type failingScanner struct {
	*memStore
	pages int
}

func (f *failingScanner) ReadUsers(ctx context.Context, s userport.UserScan, p *userport.UserPage) error {
	if f.pages == 0 {
		return io.ErrUnexpectedEOF
	}
	f.pages--
	return f.memStore.ReadUsers(ctx, s, p)
}

func TestExportStopsOnReadErrorAndCancel(t *testing.T) {
	m := newMemStore(500)
	e := &export.Exporter{Users: &failingScanner{memStore: m, pages: 2}, PageSize: 100}
	if _, err := e.Export(context.Background(), &userport.Job{Format: userport.FormatJSON}, io.Discard, nil); err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
		t.Errorf("read error: got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e = &export.Exporter{Users: m, PageSize: 100}
	if _, err := e.Export(ctx, &userport.Job{Format: userport.FormatJSON}, io.Discard, nil); err == nil {
		t.Error("a cancelled export succeeded")
	}
}

// benchFields are the five CSV fields of the performance issue.
var benchFields = []userport.Field{{Name: "user_id"}, {Name: "email"}, {Name: "name"},
	{Name: "identities[0].connection"}, {Name: "user_metadata.consent.given"}}

// BenchmarkPipeline runs the whole pipeline (scan, encode, gzip) over an
// in-memory store: CSV with five fields and NDJSON with every field.
func BenchmarkPipeline(b *testing.B) {
	m := newMemStore(100000)
	for _, bc := range []struct {
		name string
		job  userport.Job
	}{
		{"csv5", userport.Job{Format: userport.FormatCSV, Fields: benchFields}},
		{"ndjson", userport.Job{Format: userport.FormatJSON}},
	} {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/gzip-threads=%d", bc.name, threads), func(b *testing.B) {
				e := &export.Exporter{Users: m, GzipThreads: threads}
				var rows int64
				b.ResetTimer()
				for b.Loop() {
					res, err := e.Export(context.Background(), &bc.job, io.Discard, nil)
					if err != nil {
						b.Fatal(err)
					}
					rows += res.Rows
				}
				b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "users/s")
			})
		}
	}
}

// BenchmarkGzipLevels compresses generated NDJSON and CSV at each level, on
// one goroutine, reporting speed and ratio: the table behind DefaultGzipLevel.
func BenchmarkGzipLevels(b *testing.B) {
	m := newMemStore(20000)
	for _, f := range []struct {
		name string
		job  userport.Job
	}{{"ndjson", userport.Job{Format: userport.FormatJSON}}, {"csv5", userport.Job{Format: userport.FormatCSV, Fields: benchFields}}} {
		raw, _ := run(b, m, &f.job, 1000)
		for _, level := range []int{1, 2, 3, 4, 5, 6, 9} {
			b.Run(fmt.Sprintf("%s/level=%d", f.name, level), func(b *testing.B) {
				var out countWriter
				b.SetBytes(int64(len(raw)))
				for b.Loop() {
					out = 0
					zw, _ := kgzip.NewWriterLevel(&out, level)
					_, _ = io.WriteString(zw, raw)
					_ = zw.Close()
				}
				b.ReportMetric(float64(len(raw))/float64(out), "ratio")
				b.ReportMetric(float64(len(m.ids))*float64(b.N)/b.Elapsed().Seconds(), "users/s")
			})
		}
	}
}

// countWriter counts and discards.
type countWriter int

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }
