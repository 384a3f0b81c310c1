package client_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/userport/userport/client"
)

func TestFormatOf(t *testing.T) {
	for path, want := range map[string]string{
		"users.csv": "csv", "users.csv.gz": "csv", "dir/Users.CSV": "csv",
		"users.json": "json", "users.json.gz": "json", "users.ndjson": "json", "users.ndjson.gz": "json",
		"users.parquet": "parquet", "dir/Dev.PARQUET": "parquet",
		"users": "", "users.gz": "", "-": "", "users.txt": "", "csv": "",
	} {
		if got := client.FormatOf(path); got != want {
			t.Errorf("FormatOf(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestCheckOutput(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "dev.csv.gz")
	if err := os.WriteFile(existing, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	readOnly := filepath.Join(dir, "ro")
	if err := os.Mkdir(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		path  string
		force bool
		want  string // "" for no error
	}{
		{filepath.Join(dir, "new.csv.gz"), false, ""},
		{existing, true, ""},
		{"-", false, ""},
		{"", false, ""},
		{existing, false, existing + " exists: give --force to overwrite it"},
		{filepath.Join(dir, "nodir", "x.csv"), false, "cannot write " + filepath.Join(dir, "nodir", "x.csv") + ": no directory " + filepath.Join(dir, "nodir")},
		{filepath.Join(existing, "x.csv"), false, "cannot write " + filepath.Join(existing, "x.csv") + ": " + existing + " is not a directory"},
		{dir, true, "cannot write " + dir + ": it is a directory"},
		{filepath.Join(readOnly, "x.csv"), false, "cannot write " + filepath.Join(readOnly, "x.csv") + ": the directory " + readOnly + " is not writable"},
	} {
		if tt.path == filepath.Join(readOnly, "x.csv") && os.Geteuid() == 0 {
			continue // root writes anywhere
		}
		err := client.CheckOutput(tt.path, tt.force)
		if got := errString(err); !strings.HasPrefix(got, tt.want) || (tt.want == "") != (err == nil) {
			t.Errorf("CheckOutput(%q, %v) = %v, want %q", tt.path, tt.force, err, tt.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("the check left files behind: %v", entries)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestWriteExport: an export's file streamed to a writer (standard output),
// as served or gunzip'd, counted.
func TestWriteExport(t *testing.T) {
	const csv = "user_id,email\n\"'a\",a@example.com\n\"'b\",b@example.com\n"
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(csv))
	_ = zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(gz.Bytes()) }))
	defer srv.Close()
	c, err := client.New(client.Options{URL: srv.URL, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	for _, gunzip := range []bool{false, true} {
		job := &client.Job{ID: "job_1", Status: "completed", Format: "csv", Location: srv.URL + "/dev.csv.gz"}
		var out bytes.Buffer
		saved, err := c.WriteExport(context.Background(), job, nil, &out, gunzip, nil)
		want := gz.String()
		if gunzip {
			want = csv
		}
		if err != nil || out.String() != want || saved.Rows != 2 || saved.Bytes != int64(len(want)) || saved.Path != "-" {
			t.Errorf("gunzip %v: %+v, %v; wrote %q", gunzip, saved, err, out.String())
		}
	}
}
