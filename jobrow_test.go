package userport_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/userport/userport"
)

// valuesRow is a userport.Row over the values JobArgs made (times as they
// are), as a store's driver would read them back.
type valuesRow []any

func (r valuesRow) Scan(dest ...any) error {
	for i, d := range dest {
		v := reflect.ValueOf(d).Elem()
		v.Set(reflect.ValueOf(r[i]).Convert(v.Type()))
	}
	return nil
}

func TestJobColumnsRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	full := &userport.Job{Tenant: "dev", ID: "job_0123456789abcdef", Type: userport.JobUsersExport,
		Status: userport.JobCompleted, Format: userport.FormatCSV, Limit: 5,
		Fields: []userport.Field{{Name: "user_id"}, {Name: "email", ExportAs: "mail"}},
		Query:  `email:"a@b.c"`, ChangesSince: "upc1_x", Since: 7, Tombstones: 3, SHA256: "ab12",
		FieldCounts: []int64{5, 4}, Mark: userport.Watermark{Low: 1 << 40, High: 1<<40 + 9}, MarkAt: at, HasMark: true,
		Summary: &userport.ImportSummary{Inserted: 2, Updated: 1, Failed: 3, Total: 6}, CreatedAt: at}
	empty := &userport.Job{Tenant: "dev", ID: "job_x", Type: userport.JobUsersImport, Status: userport.JobPending}
	for _, j := range []*userport.Job{full, empty} {
		args, err := userport.JobArgs(j, func(t time.Time) any { return t })
		if err != nil {
			t.Fatal(err)
		}
		if len(args) != userport.JobColumnCount {
			t.Fatalf("%d args for %d columns", len(args), userport.JobColumnCount)
		}
		got, err := userport.ScanJob(valuesRow(args))
		if err != nil || !reflect.DeepEqual(got, j) {
			t.Errorf("ScanJob(JobArgs(%+v)) =\n%+v, %v", j, got, err)
		}
	}
	args, _ := userport.JobArgs(empty, func(t time.Time) any { return t })
	if args[8] != "[]" || args[32] != "[]" || args[12] != (*string)(nil) {
		t.Errorf("a job without fields, counts or summary: fields %v, field_counts %v, summary %v; want [], [] and NULL", args[8], args[32], args[12])
	}
}

func TestScanJobRefusesBadJSON(t *testing.T) {
	args, _ := userport.JobArgs(&userport.Job{ID: "job_x"}, func(t time.Time) any { return t })
	for _, i := range []int{8, 32} { // fields, field_counts
		bad := append(valuesRow(nil), args...)
		bad[i] = "{"
		if _, err := userport.ScanJob(bad); err == nil {
			t.Errorf("column %d %q: no error", i, "{")
		}
	}
}

func TestScanJobNoRow(t *testing.T) {
	_, err := userport.ScanJob(noRow{})
	if userport.ErrorDetail(err) != "inexistent_job" {
		t.Errorf("no row: %v, want inexistent_job", err)
	}
}

type noRow struct{}

func (noRow) Scan(...any) error { return userport.ErrNoRow }
