package report_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/client"
	"github.com/userport/userport/internal/report"
)

func intp(v int) *int { return &v }

// userErrors are two users' per-user errors: one named by its email, one
// by nothing it has.
var userErrors = []userport.ImportError{
	{User: json.RawMessage(`{"email":"a@example.com","user_id":"u1"}`), Errors: []userport.ImportIssue{{Code: "INVALID_FORMAT", Path: "email", Message: "bad"}}},
	{User: json.RawMessage(`{"email":7}`), Errors: []userport.ImportIssue{{Code: "CONFLICT", Message: "taken"}}},
}

func TestImport(t *testing.T) {
	summary := func(total, failed int64) *userport.ImportSummary {
		return &userport.ImportSummary{Total: total, Inserted: total - failed, Failed: failed}
	}
	for _, tt := range []struct {
		name    string
		job     client.Job
		errs    []userport.ImportError
		want    []string // lines printed
		wantErr string
	}{
		{"completed", client.Job{ID: "job_1", Status: "completed", Connection: "db", Summary: summary(3, 0)}, nil,
			[]string{"job job_1 completed: 3 records (3 inserted, 0 updated, 0 failed) into db in 1.50s"}, ""},
		{"users failed", client.Job{ID: "job_1", Status: "completed", Connection: "db", Summary: summary(3, 2)}, userErrors,
			[]string{"job job_1 completed: 3 records (1 inserted, 0 updated, 2 failed) into db in 1.50s",
				"USER           CODE            PATH   MESSAGE", "a@example.com  INVALID_FORMAT  email  bad", "-              CONFLICT        -      taken"},
			"import job job_1: 2 of 3 users failed"},
		{"failed job", client.Job{ID: "job_1", Status: "failed", StatusDetails: "The import failed: x"}, nil,
			[]string{"job job_1 failed: 0 records (0 inserted, 0 updated, 0 failed) into  in 1.50s"}, "import job job_1 is failed: The import failed: x"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := report.Import(&out, &tt.job, tt.errs, 1500*time.Millisecond, false)
			if got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n"); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("printed\n%s\nwant\n%s", out.String(), strings.Join(tt.want, "\n"))
			}
			if (err == nil) != (tt.wantErr == "") || err != nil && err.Error() != tt.wantErr {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
			if tt.name == "users failed" && !errors.Is(err, report.ErrUsersFailed) {
				t.Errorf("err = %v, want ErrUsersFailed", err)
			}
		})
	}
}

// TestImportJSON: as JSON, the job and its errors are one object, and no
// errors are an empty list.
func TestImportJSON(t *testing.T) {
	var out bytes.Buffer
	job := client.Job{ID: "job_1", Status: "completed", Summary: &userport.ImportSummary{Total: 1, Inserted: 1}}
	if err := report.Import(&out, &job, nil, time.Second, true); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Job    client.Job        `json:"job"`
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || got.Job.ID != "job_1" || got.Errors == nil || len(got.Errors) != 0 {
		t.Errorf("%s: %v; want the job and errors []", out.String(), err)
	}
}

func TestJobs(t *testing.T) {
	var out bytes.Buffer
	p := &client.JobPage{Start: 10, Total: 13, Jobs: []client.Job{
		{ID: "job_a", Type: "users_export", Status: "processing", CreatedAt: "2026-01-01T00:00:00Z", PercentageDone: intp(40)},
		{ID: "job_b", Type: "users_import", Status: "completed", CreatedAt: "2026-01-01T00:00:00Z", Connection: "db",
			Summary: &userport.ImportSummary{Total: 2, Inserted: 1, Updated: 1}},
		{ID: "job_c", Type: "users_export", Status: "failed", CreatedAt: "2026-01-01T00:00:00Z", StatusDetails: "The export failed: x"},
	}}
	if err := report.Jobs(&out, p); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"job_a  users_export  processing  2026-01-01T00:00:00Z  -           40%",
		"1 inserted, 1 updated, 0 failed of 2", "The export failed: x", "jobs 11-13 of 13"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := report.Jobs(&out, &client.JobPage{Start: 50, Total: 3}); err != nil || !strings.HasSuffix(out.String(), "no jobs here (3 in all)\n") {
		t.Errorf("an empty page: %v\n%s", err, out.String())
	}
}

func TestUnknownFields(t *testing.T) {
	var fields client.Fields
	for _, f := range []string{"email", "emial", "user_metadata.plan=plan"} {
		if err := fields.Set(f); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	report.UnknownFields(&b, fields)
	want := "warning: --field emial does not start with a user profile attribute (email, user_metadata, app_metadata, ...): its column will be empty\n"
	if b.String() != want {
		t.Errorf("UnknownFields = %q, want %q", b.String(), want)
	}
}

func TestManifest(t *testing.T) {
	q, cursor := "app_metadata.plan:pro", "c2"
	m := &userport.ExportManifest{Rows: 3, Tombstones: 1, Bytes: 99, SHA256: "ab12", Q: &q, Cursor: &cursor,
		FieldCounts: []userport.FieldCount{{Name: "user_id", Count: 3}, {Name: "plan", Count: 0}}}
	var out, warn bytes.Buffer
	if err := report.Manifest(&out, m); err != nil {
		t.Fatal(err)
	}
	want := "checked against the manifest: 99 bytes, sha256 ab12; rows 3, tombstones 1\n" +
		"q: app_metadata.plan:pro\ncursor: c2\nusers with a value, per field: user_id 3, plan 0\n"
	if out.String() != want {
		t.Errorf("Manifest printed\n%s\nwant\n%s", out.String(), want)
	}
	report.EmptyFields(&warn, m)
	if warn.String() != "warning: no user of the export had a value for the field plan: its column is empty (a misspelt path, or one the users keep elsewhere?)\n" {
		t.Errorf("EmptyFields warned %q", warn.String())
	}
	out.Reset()
	_ = report.Manifest(&out, &userport.ExportManifest{SHA256: "ab"})
	if !strings.HasSuffix(out.String(), "cursor: none (the limit cut the export short)\n") {
		t.Errorf("Manifest without a cursor printed %q", out.String())
	}
}
