package export_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/export"
)

// splitParts cuts the users of job in m into n ranges of nearly equal
// counts, as the export worker does with the cuts of a full sample (userport.UserSample.Cuts).
func splitParts(m *memStore, job *userport.Job, n int) []*userport.ExportPart {
	var ids []string
	for i, id := range m.ids {
		if job.ConnectionID == "" || m.conn[i] == job.ConnectionID {
			ids = append(ids, id)
		}
	}
	every := (len(ids) + n - 1) / n
	parts := []*userport.ExportPart{{Index: 0}}
	for i := every - 1; i < len(ids)-1 && len(parts) < n; i += every {
		parts[len(parts)-1].Until = ids[i]
		parts = append(parts, &userport.ExportPart{Index: len(parts), After: ids[i]})
	}
	return parts
}

// gunzip decompresses every member of a gzip file.
func gunzip(t testing.TB, b []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestExportPartsJoinToTheWhole writes split exports part by part, joins the
// parts' gzip members end to end, and checks that the joined file
// decompresses to the bytes of the unsplit export: one CSV header, every
// user once, in order, whatever the page size against the ranges.
func TestExportPartsJoinToTheWhole(t *testing.T) {
	m := newMemStore(1000)
	csvFields := []userport.Field{{Name: "user_id"}, {Name: "email"}}
	for _, job := range []userport.Job{
		{Format: userport.FormatCSV, Fields: csvFields},
		{Format: userport.FormatCSV},
		{Format: userport.FormatJSON},
		{Format: userport.FormatJSON, ConnectionID: "con_other"},
		{Format: userport.FormatCSV, ConnectionID: "con_other", Fields: csvFields},
	} {
		for _, n := range []int{1, 2, 3, 7} {
			for _, pageSize := range []int{1, 33, 1000} {
				t.Run(fmt.Sprintf("%s/%s/parts=%d/page=%d", job.Format, job.ConnectionID, n, pageSize), func(t *testing.T) {
					whole, want, _ := runResult(t, m, &job, pageSize)
					e := &export.Exporter{Users: m, PageSize: pageSize}
					var joined bytes.Buffer
					var sum export.Result
					for _, p := range splitParts(m, &job, n) {
						var progress int64
						res, err := e.ExportPart(context.Background(), &job, p, &joined, func(n int64) { progress += n })
						if err != nil {
							t.Fatalf("part %d: %v", p.Index, err)
						}
						if progress != res.Rows {
							t.Errorf("part %d reported %d users, wrote %d", p.Index, progress, res.Rows)
						}
						sum.Add(res)
					}
					if sum.Rows != want.Rows || !slices.Equal(sum.FieldCounts, want.FieldCounts) {
						t.Errorf("parts wrote %d users, counts %v; the whole export %d, %v", sum.Rows, sum.FieldCounts, want.Rows, want.FieldCounts)
					}
					if got := gunzip(t, joined.Bytes()); got != whole {
						t.Errorf("joined parts decompress to %d bytes that differ from the whole export's %d", len(got), len(whole))
					}
				})
			}
		}
	}
}

// TestExportPartIgnoresTheLimit: a part writes its whole range (a limited
// export is never split).
func TestExportPartIgnoresTheLimit(t *testing.T) {
	m := newMemStore(300)
	job := &userport.Job{Format: userport.FormatJSON, Limit: 10}
	e := &export.Exporter{Users: m, PageSize: 50}
	res, err := e.ExportPart(context.Background(), job, &userport.ExportPart{Until: m.ids[99]}, io.Discard, nil)
	if err != nil || res.Rows != 100 {
		t.Errorf("ExportPart of users 1-100 with a limit of 10 = %d, %v; want 100", res.Rows, err)
	}
	// Neither a filtered nor an incremental export is split.
	for _, job := range []*userport.Job{{Format: userport.FormatJSON, Query: "blocked:true"}, {Format: userport.FormatJSON, ChangesSince: "c"}} {
		if _, err := e.ExportPart(context.Background(), job, &userport.ExportPart{}, io.Discard, nil); err == nil {
			t.Errorf("ExportPart of %+v: no error", job)
		}
	}
}

// BenchmarkSplit runs one export of 100,000 users whole, and split into
// parts written at once by goroutines (each with one gzip thread, as one
// worker of a split export on a busy core), over an in-memory store: how a
// split export's pipeline scales with the cores, without a database.
func BenchmarkSplit(b *testing.B) {
	m := newMemStore(100000)
	for _, bc := range []struct {
		name string
		job  userport.Job
	}{
		{"csv5", userport.Job{Format: userport.FormatCSV, Fields: benchFields}},
		{"ndjson", userport.Job{Format: userport.FormatJSON}},
	} {
		for _, n := range []int{1, 2, 4} {
			b.Run(fmt.Sprintf("%s/parts=%d", bc.name, n), func(b *testing.B) {
				parts := splitParts(m, &bc.job, n)
				e := &export.Exporter{Users: m, GzipThreads: 1}
				var rows int64
				var mu sync.Mutex
				for b.Loop() {
					var wg sync.WaitGroup
					for _, p := range parts {
						wg.Go(func() {
							res, err := e.ExportPart(context.Background(), &bc.job, p, io.Discard, nil)
							if err != nil {
								b.Error(err)
							}
							mu.Lock()
							rows += res.Rows
							mu.Unlock()
						})
					}
					wg.Wait()
				}
				b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "users/s")
			})
		}
	}
}
