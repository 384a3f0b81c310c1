package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/client"
)

// TestDownloadParquet: a Parquet export's file is saved as it is (no gzip
// to check or to take off), checked against the manifest's size and sha256.
func TestDownloadParquet(t *testing.T) {
	t.Parallel()
	file := []byte("PAR1 not really parquet, but bytes the client must keep as they are PAR1")
	sum := sha256.Sum256(file)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(file) }))
	t.Cleanup(srv.Close)
	c, err := client.New(client.Options{URL: srv.URL, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	job := &client.Job{ID: "job_1", Type: "users_export", Status: "completed", Format: "parquet", Location: srv.URL + "/dev.parquet"}
	dir := t.TempDir()
	m := &userport.ExportManifest{Rows: 2, Bytes: int64(len(file)), SHA256: hex.EncodeToString(sum[:]), Format: userport.FormatParquet}
	saved, err := c.DownloadChecked(context.Background(), job, m, filepath.Join(dir, "dev.parquet"), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(saved.Path)
	if err != nil || !bytes.Equal(got, file) || saved.Received != int64(len(file)) || saved.SHA256 != m.SHA256 {
		t.Fatalf("saved %+v (%v): %q, want the file as served", saved, err, got)
	}
	m.SHA256 = strings.Repeat("0", 64)
	if _, err := c.DownloadChecked(context.Background(), job, m, filepath.Join(dir, "bad.parquet"), false, nil); err == nil {
		t.Fatal("a file whose sha256 is not the manifest's was saved")
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.parquet")); err == nil {
		t.Error("the file that failed its check took its name")
	}
}
