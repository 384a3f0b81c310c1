package localblob_test

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/userport/userport/blobtest"
	"github.com/userport/userport/localblob"
)

// TestSuite runs the behaviour all blob stores share, on the system clock,
// with links served by the store's Handler on a test server.
func TestSuite(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blobtest.Store {
		mux := http.NewServeMux()
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		dir := t.TempDir()
		store, err := localblob.New(dir, srv.URL, testKey, nil)
		if err != nil {
			t.Fatal(err)
		}
		mux.Handle("GET /exports/", store.Handler())
		return blobtest.Store{BlobStore: store, Leftovers: func(t *testing.T) []string { return regularFiles(t, dir) }, ETagIsSHA256: true}
	})
}

// regularFiles lists the files under dir, by slash-separated relative path.
func regularFiles(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, path)
			names = append(names, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}
