package client_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/userport/userport/client"
)

// TestCreateImportUnknownSize: a file of unknown size (standard input) is
// sent whole, chunked.
func TestCreateImportUnknownSize(t *testing.T) {
	const data = `{"email":"a@example.com"}` + "\n" + `{"email":"b@example.com"}` + "\n"
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, _, err := r.FormFile("users")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		b, _ := io.ReadAll(f)
		got = string(b)
		w.WriteHeader(http.StatusAccepted)
		_ = json.NewEncoder(w).Encode(client.Job{ID: "job_1", Status: "pending", Type: "users_import"})
	}))
	defer srv.Close()
	c, err := client.New(client.Options{URL: srv.URL, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	var sent int64
	job, err := c.CreateImport(context.Background(), client.ImportRequest{
		File: io.MultiReader(strings.NewReader(data)), FileName: "stdin", Size: -1, ConnectionID: "con_1",
		Progress: func(n int64) { sent = n },
	})
	if err != nil || job.ID != "job_1" || got != data || sent != int64(len(data)) {
		t.Errorf("job %+v, %v; the server got %q; progress said %d", job, err, got, sent)
	}
}
