package report_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
	"github.com/userport/userport/internal/report"
)

func TestKeys(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var b bytes.Buffer
	err := report.Keys(&b, []auth.KeyInfo{{ID: "k1", Name: "a.pem", CreatedAt: at}, {ID: "k2", Name: "b.pem", CreatedAt: at, Signs: true}})
	want := "KID  NAME   CREATED               SIGNS\n" +
		"k1   a.pem  2026-01-02T03:04:05Z  \n" +
		"k2   b.pem  2026-01-02T03:04:05Z  yes\n"
	if err != nil || b.String() != want {
		t.Errorf("Keys: %v\n%s\nwant\n%s", err, b.String(), want)
	}
}

// TestSeeded: into an empty tenant, the users written; into one that held
// users, also how many it holds now.
func TestSeeded(t *testing.T) {
	for _, tt := range []struct {
		held int64
		want string
	}{
		{0, "seeded 300 users into db in 2.00s (150 users/s)\n"},
		{300, "added 300 users to db in 2.00s (150 users/s); the store now holds 600 users of tenant dev\n"},
	} {
		var b bytes.Buffer
		if err := report.Seeded(&b, 300, tt.held, "db", "dev", 2*time.Second); err != nil || b.String() != tt.want {
			t.Errorf("Seeded(held %d): %v %q, want %q", tt.held, err, b.String(), tt.want)
		}
	}
}

func TestLoaded(t *testing.T) {
	var b bytes.Buffer
	job := &userport.Job{ID: "job_1", Connection: "db"}
	err := report.Loaded(&b, job, &userport.ImportSummary{Total: 3, Inserted: 1, Updated: 1, Failed: 1}, 1500*time.Millisecond)
	if want := "job job_1: 3 records (1 inserted, 1 updated, 1 failed) into db in 1.50s (2 users/s)\n"; err != nil || b.String() != want {
		t.Errorf("Loaded: %v %q, want %q", err, b.String(), want)
	}
}
