package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/userport/userport/internal/testutil"
)

// TestExportParquet: "format": "parquet" (a userport extension) exports the
// default CSV fields unless told otherwise, and its file {tenant}.parquet
// is served as it is (no gzip) as application/vnd.apache.parquet.
func TestExportParquet(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.work(nil)
	b.putUsers(b.connection(upa), 0, 25)
	created := b.exCreate(`{"format":"parquet"}`)
	var echoed struct {
		Format string            `json:"format"`
		Fields []json.RawMessage `json:"fields"`
	}
	must(t, json.Unmarshal(created.Raw, &echoed))
	defaults, err := json.Marshal(testutil.DefaultCSVFields)
	must(t, err)
	if got, _ := json.Marshal(echoed.Fields); echoed.Format != "parquet" || !bytes.Equal(got, defaults) {
		t.Errorf("created %s; want format parquet and the default fields %s", created.Raw, defaults)
	}
	done := b.completed(created.ID)
	if !strings.Contains(done.Location, "/dev.parquet?Expires=") {
		t.Fatalf("location %q, want the file dev.parquet", done.Location)
	}
	r := b.fetch(done.Location)
	r.wantStatus(t, http.StatusOK)
	r.wantHeader(t, "Content-Type", "application/vnd.apache.parquet")
	r.wantHeader(t, "Content-Disposition", `attachment; filename="dev.parquet"`)
	r.wantHeader(t, "Content-Encoding", "")
	if !bytes.HasPrefix(r.body, []byte("PAR1")) || !bytes.HasSuffix(r.body, []byte("PAR1")) {
		t.Errorf("the file (%d bytes) is not a Parquet file", len(r.body))
	}
	// Whole objects are columns of JSON text, unlike CSV's cells.
	r = b.exPost(exFieldsBody("parquet", `[{"name":"user_id"},{"name":"user_metadata"},{"name":"identities[0]"}]`))
	r.wantStatus(t, http.StatusOK)
}
