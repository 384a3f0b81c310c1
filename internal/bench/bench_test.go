package bench_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/bench"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/seed"
)

func TestFormats(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []userport.Format
		err  bool
	}{
		{"csv", []userport.Format{userport.FormatCSV}, false},
		{"json", []userport.Format{userport.FormatJSON}, false},
		{"both", []userport.Format{userport.FormatCSV, userport.FormatJSON}, false},
		{"", nil, true},
		{"parquet", []userport.Format{userport.FormatParquet}, false},
		{"all", []userport.Format{userport.FormatCSV, userport.FormatJSON, userport.FormatParquet}, false},
		{"xml", nil, true},
		{"CSV", nil, true},
	} {
		got, err := bench.Formats(tc.in)
		if (err != nil) != tc.err || !slices.Equal(got, tc.want) {
			t.Errorf("Formats(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.err)
		}
		if err != nil && !strings.Contains(err.Error(), "--format") {
			t.Errorf("Formats(%q) error %q does not name --format", tc.in, err)
		}
	}
}

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var ds []time.Duration
		for _, n := range ns {
			ds = append(ds, time.Duration(n)*time.Millisecond)
		}
		return ds
	}
	for _, tc := range []struct {
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 99, 7 * time.Millisecond},
		{ms(1, 2, 3, 4), 50, 3 * time.Millisecond},
		{ms(1, 2, 3, 4), 0, time.Millisecond},
		{ms(1, 2, 3, 4), 100, 4 * time.Millisecond},
	} {
		if got := bench.Percentile(tc.sorted, tc.p); got != tc.want {
			t.Errorf("Percentile(%v, %v) = %v, want %v", tc.sorted, tc.p, got, tc.want)
		}
	}
	if got := bench.Ms(1500 * time.Microsecond); got != 1.5 {
		t.Errorf("Ms(1.5ms) = %v", got)
	}
}

// countingStore counts the documents Scan reads.
type countingStore struct {
	bench.Store
	docs int
}

func (s *countingStore) ReadUsers(ctx context.Context, scan userport.UserScan, p *userport.UserPage) error {
	err := s.Store.ReadUsers(ctx, scan, p)
	s.docs += p.Len()
	return err
}

// TestScanReadsEveryUser scans more users than one page holds.
func TestScanReadsEveryUser(t *testing.T) {
	e := testutil.NewEmbedded(t)
	ctx := context.Background()
	const n = 2500
	g := seed.New(1, "dev", e.Conn, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	users := make([]*userport.User, n)
	for i := range users {
		users[i] = g.Next()
	}
	if err := e.Store.CreateUsers(ctx, users...); err != nil {
		t.Fatal(err)
	}
	s := &countingStore{Store: e.Store}
	read, secs, err := bench.Scan(ctx, s, "dev")
	if err != nil || secs <= 0 {
		t.Fatalf("Scan = %v, %v", secs, err)
	}
	if s.docs != n || read != n {
		t.Errorf("Scan read %d documents and reported %d, want %d", s.docs, read, n)
	}
}

// TestCompressMeasuresTheExport gzips a blob and checks the raw size Compress reports.
func TestCompressMeasuresTheExport(t *testing.T) {
	e := testutil.NewEmbedded(t)
	ctx := context.Background()
	raw := bytes.Repeat([]byte(`{"user_id":"auth0|1","email":"a@example.com"}`+"\n"), 5000)
	w, err := e.Blobs.Create(ctx, "dev/exports/x.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(w)
	zw.Write(raw)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	n, secs, err := bench.Compress(ctx, e.Blobs, "dev/exports/x.json.gz", t.TempDir())
	if err != nil || secs <= 0 || n != int64(len(raw)) {
		t.Errorf("Compress = %d bytes, %vs, %v; want %d bytes", n, secs, err, len(raw))
	}
	if _, _, err := bench.Compress(ctx, e.Blobs, "dev/exports/missing.json.gz", t.TempDir()); err == nil {
		t.Error("Compress of a missing blob succeeded")
	}
}

// TestResultWrite checks both forms of a result's line.
func TestResultWrite(t *testing.T) {
	r := &bench.Result{Users: 1000, Format: "csv", Seconds: 2, UsersPerSec: 500, OutputBytes: 3000, RatioToLimit: 1.25, GetJobCalls: 3,
		ScanUsers: 1000, ScanSeconds: 0.5, ScanUsersPerSec: 2000}
	var text, js bytes.Buffer
	r.Write(&text, false)
	r.Write(&js, true)
	for _, want := range []string{"csv  users=1000 seconds=2.00 users/s=500 ", "scan=0.50s scan_users/s=2000 ", "ratio_to_limit=1.25", "(3 calls)\n"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text %q lacks %q", text.String(), want)
		}
	}
	var back bench.Result
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back != *r {
		t.Errorf("JSON %s decodes to %+v, %v; want %+v", js.String(), back, err, *r)
	}
	if !strings.Contains(js.String(), `"scan_users_per_sec":2000`) {
		t.Errorf("JSON %s lacks scan_users_per_sec", js.String())
	}
}
