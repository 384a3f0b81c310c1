package progress_test

import (
	"bytes"
	"testing"

	"github.com/userport/userport/client"
	"github.com/userport/userport/internal/progress"
)

func intp(v int) *int { return &v }

func TestLine(t *testing.T) {
	for _, tt := range []struct {
		job  client.Job
		want string
	}{
		{client.Job{ID: "job_1", Status: "pending"}, "job_1 pending"},
		{client.Job{ID: "job_1", Status: "processing", PercentageDone: intp(42), TimeLeftSeconds: intp(65)}, "job_1 processing 42%, 1m5s left"},
		{client.Job{ID: "job_1", Status: "processing", PercentageDone: intp(0)}, "job_1 processing 0%"},
		{client.Job{ID: "job_1", Status: "completed", PercentageDone: intp(100)}, "job_1 completed 100%"},
	} {
		if got := progress.Line(&tt.job); got != tt.want {
			t.Errorf("Line(%+v) = %q, want %q", tt.job, got, tt.want)
		}
	}
}

// TestJobPlainLines: off a terminal, a job shows one line each time what
// it says changes, and no bar.
func TestJobPlainLines(t *testing.T) {
	var out bytes.Buffer
	p := progress.NewJob(&out, &client.Job{ID: "job_1", Status: "pending"})
	for _, j := range []client.Job{
		{ID: "job_1", Status: "pending"},
		{ID: "job_1", Status: "processing", PercentageDone: intp(10)},
		{ID: "job_1", Status: "processing", PercentageDone: intp(10)},
		{ID: "job_1", Status: "completed", PercentageDone: intp(100)},
	} {
		p.Show(&j)
	}
	if want := "job_1 pending\njob_1 processing 10%\njob_1 completed 100%\n"; out.String() != want {
		t.Errorf("shown %q, want %q", out.String(), want)
	}
}

// TestBarsOffTerminal: the users and bytes bars draw nothing off a terminal.
func TestBarsOffTerminal(t *testing.T) {
	var out bytes.Buffer
	u := progress.NewUsers(&out, 10, "seeding users")
	u.Add(4)
	u.Add(6)
	if err := u.Finish(); err != nil || out.Len() != 0 {
		t.Errorf("users bar: %v, wrote %q; want nothing", err, out.String())
	}
	fn, finish := progress.Bytes(&out, "uploading")
	finish()
	if fn != nil || out.Len() != 0 || progress.IsTerminal(&out) {
		t.Errorf("bytes bar off a terminal: fn %v, wrote %q; want nil and nothing", fn != nil, out.String())
	}
}
