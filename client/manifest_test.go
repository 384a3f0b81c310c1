package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/userport/userport"
	"github.com/userport/userport/client"
)

// exportServer serves a gzip'd CSV at /dev.csv.gz and the manifest of job_1
// (the body manifest), and returns a client of it, the file and its sha256.
func exportServer(t *testing.T, manifest string) (*client.Client, *client.Job, []byte, string) {
	t.Helper()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte("user_id,email\n\"'a\",a@example.com\n\"'b\",b@example.com\n"))
	_ = zw.Close()
	sum := sha256.Sum256(gz.Bytes())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /dev.csv.gz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(gz.Bytes()) })
	mux.HandleFunc("GET /api/v2/jobs/{id}/manifest", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "job_1" {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"statusCode":404,"error":"Not Found","message":"The job does not exist.","errorCode":"inexistent_job"}`)
			return
		}
		fmt.Fprint(w, manifest)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := client.New(client.Options{URL: srv.URL, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	job := &client.Job{ID: "job_1", Type: "users_export", Status: "completed", Format: "csv", Location: srv.URL + "/dev.csv.gz"}
	return c, job, gz.Bytes(), hex.EncodeToString(sum[:])
}

func TestManifest(t *testing.T) {
	t.Parallel()
	c, _, _, _ := exportServer(t, `{"rows":2,"tombstones":1,"bytes":60,"sha256":"ab","format":"csv",
		"fields":[{"name":"user_id"},{"name":"app_metadata.plan","export_as":"plan"}],
		"field_counts":[{"name":"user_id","count":2},{"name":"plan","count":0}],
		"q":null,"changes_since":"c1","cursor":"c2","created_at":"2026-12-07T10:00:00.000Z","completed_at":"2026-12-07T10:00:01.000Z"}`)
	m, err := c.Manifest(context.Background(), "job_1")
	if err != nil {
		t.Fatal(err)
	}
	since, cursor := "c1", "c2"
	want := &userport.ExportManifest{Rows: 2, Tombstones: 1, Bytes: 60, SHA256: "ab", Format: "csv",
		Fields:       []userport.Field{{Name: "user_id"}, {Name: "app_metadata.plan", ExportAs: "plan"}},
		FieldCounts:  []userport.FieldCount{{Name: "user_id", Count: 2}, {Name: "plan", Count: 0}},
		ChangesSince: &since, Cursor: &cursor, CreatedAt: "2026-12-07T10:00:00.000Z", CompletedAt: "2026-12-07T10:00:01.000Z"}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("Manifest = %+v, want %+v", m, want)
	}
	if got := m.EmptyFields(); !reflect.DeepEqual(got, []string{"plan"}) {
		t.Errorf("EmptyFields = %q, want [plan]", got)
	}
	if got := (&userport.ExportManifest{FieldCounts: want.FieldCounts}).EmptyFields(); got != nil {
		t.Errorf("EmptyFields of an export without users = %q, want none", got)
	}
	_, err = c.Manifest(context.Background(), "job_2")
	if err == nil || err.Error() != "get the manifest of job job_2: server answered 404 Not Found (inexistent_job): The job does not exist." {
		t.Errorf("Manifest of an unknown job: %v", err)
	}
}

// TestDownloadChecked: a file whose bytes and sha256 match the manifest is
// written; one that does not is an error, and the file is not written (an
// existing one is left as it was).
func TestDownloadChecked(t *testing.T) {
	t.Parallel()
	c, job, gz, sum := exportServer(t, `{}`)
	ctx := context.Background()
	tests := []struct {
		name    string
		m       *userport.ExportManifest
		wantErr string
	}{
		{"no manifest", nil, ""},
		{"matches", &userport.ExportManifest{Bytes: int64(len(gz)), SHA256: sum}, ""},
		{"matches, upper case", &userport.ExportManifest{Bytes: int64(len(gz)), SHA256: strings.ToUpper(sum)}, ""},
		{"another sha256", &userport.ExportManifest{Bytes: int64(len(gz)), SHA256: strings.Repeat("0", 64)},
			"download the export of job job_1: the file received does not match the export's manifest: sha256 " + sum + ", the manifest says " + strings.Repeat("0", 64)},
		{"another size", &userport.ExportManifest{Bytes: int64(len(gz)) + 1, SHA256: sum},
			fmt.Sprintf("download the export of job job_1: the file received does not match the export's manifest: %d bytes, the manifest says %d", len(gz), len(gz)+1)},
	}
	for _, tt := range tests {
		for _, gunzip := range []bool{false, true} {
			dir := t.TempDir()
			path := filepath.Join(dir, "out")
			if err := os.WriteFile(path, []byte("before"), 0o600); err != nil {
				t.Fatal(err)
			}
			saved, err := c.DownloadChecked(ctx, job, tt.m, path, gunzip, nil)
			if errString(err) != tt.wantErr {
				t.Errorf("%s, gunzip %v: %v, want %q", tt.name, gunzip, err, tt.wantErr)
				continue
			}
			data, _ := os.ReadFile(path)
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("%s: files left: %v", tt.name, entries)
			}
			if tt.wantErr != "" {
				if string(data) != "before" {
					t.Errorf("%s: a file that does not match replaced the one there was", tt.name)
				}
				continue
			}
			if saved.SHA256 != sum || saved.Received != int64(len(gz)) || saved.Rows != 2 || saved.Bytes != int64(len(data)) {
				t.Errorf("%s, gunzip %v: saved %+v (file of %d bytes)", tt.name, gunzip, saved, len(data))
			}
			if !gunzip && !bytes.Equal(data, gz) {
				t.Errorf("%s: the file is not what was served", tt.name)
			}
		}
	}
	// Streamed (standard output), the mismatch is found after the bytes went out.
	var out bytes.Buffer
	_, err := c.WriteExport(ctx, job, &userport.ExportManifest{Bytes: int64(len(gz)), SHA256: "00"}, &out, false, nil)
	if err == nil || !strings.Contains(err.Error(), "does not match the export's manifest: sha256 ") {
		t.Errorf("WriteExport of a file that does not match: %v", err)
	}
	saved, err := c.WriteExport(ctx, job, &userport.ExportManifest{Bytes: int64(len(gz)), SHA256: sum}, &out, false, nil)
	if err != nil || saved.SHA256 != sum {
		t.Errorf("WriteExport of a file that matches: %+v, %v", saved, err)
	}
}

func TestCursorRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want bool
	}{
		{&client.Error{StatusCode: 400, ErrorCode: "invalid_body", Message: "Payload validation error: 'Invalid cursor: older than the " +
			"tombstone retention. Take a full export (without changes_since) and continue from its cursor' on property changes_since."}, true},
		{fmt.Errorf("create the export: %w", &client.Error{StatusCode: 400, Message: "The Cursor is not one of this tenant: take a FULL export"}), true},
		{&client.Error{StatusCode: 400, Message: "Payload validation error: an incremental export (changes_since) needs user_id among its fields"}, false},
		{&client.Error{StatusCode: 400, Message: "q: unexpected ')' at position 12"}, false},
		{&client.Error{StatusCode: 409, Message: "cursor"}, false},
		{errors.New("cursor refused"), false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := client.CursorRefused(tt.err); got != tt.want {
			t.Errorf("CursorRefused(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// TestExportRequestKeys: q and changes_since go in the body when given,
// and a plain export's body is Auth0's.
func TestExportRequestKeys(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		r    client.ExportRequest
		want string
	}{
		{client.ExportRequest{Format: "csv"}, `{"format":"csv"}`},
		{client.ExportRequest{Format: "json", Q: `email:"a@example.com"`, ChangesSince: "c1"},
			`{"format":"json","q":"email:\"a@example.com\"","changes_since":"c1"}`},
	} {
		if got, _ := json.Marshal(tt.r); string(got) != tt.want {
			t.Errorf("%+v encodes as %s, want %s", tt.r, got, tt.want)
		}
	}
}
