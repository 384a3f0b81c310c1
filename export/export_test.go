package export_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/userport/userport"
	"github.com/userport/userport/export"
	"github.com/userport/userport/seed"
)

// memStore is an in-memory Scanner over generated users, sorted by user_id.
type memStore struct {
	ids  []string
	docs [][]byte
	conn []string
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

// run exports job from m and returns the decompressed file and the rows.
func run(t testing.TB, m *memStore, job *userport.Job, pageSize int) (string, int64) {
	var buf bytes.Buffer
	var progress int64
	e := &export.Exporter{Users: m, PageSize: pageSize}
	rows, err := e.Export(context.Background(), job, &buf, func(n int64) { progress += n })
	if err != nil {
		t.Fatal(err)
	}
	if progress != rows {
		t.Errorf("progress reported %d users, rows %d", progress, rows)
	}
	zr, err := gzip.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(out), rows
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
					n, err := e.Export(context.Background(), &bc.job, io.Discard, nil)
					if err != nil {
						b.Fatal(err)
					}
					rows += n
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
