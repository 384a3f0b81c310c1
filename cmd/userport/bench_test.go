package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/userport/userport/internal/bench"
)

// TestBenchCommand runs `userport bench` on a small fresh store and checks
// that each format's result is there and makes sense. (--jobs inline: the
// test binary is no `userport worker`.)
func TestBenchCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds and exports 3000 users twice per format")
	}
	var out bytes.Buffer
	args := []string{"bench", "--users", "3000", "--format", "both", "--json", "--jobs", "inline", "--addr", "127.0.0.1:0"}
	if err := run(context.Background(), args, &out, io.Discard); err != nil {
		t.Fatalf("bench: %v", err)
	}
	var formats []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r bench.Result
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		formats = append(formats, r.Format)
		if r.Users != 3000 || r.OutputBytes <= 0 || r.RawBytes <= r.OutputBytes || r.Seconds <= 0 ||
			r.ScanSeconds <= 0 || r.CompressSeconds <= 0 || r.RatioToLimit <= 0 || r.PeakRSSBytes <= 0 ||
			r.GetJobCalls == 0 || r.GetJobP99Ms < r.GetJobP50Ms || r.PolledSeconds <= 0 {
			t.Errorf("%s result does not add up: %+v", r.Format, r)
		}
		// The scan's own rate: every stored user, over the limit's scan time.
		if want := float64(r.ScanUsers) / r.ScanSeconds; r.ScanUsers != 3000 || math.Abs(r.ScanUsersPerSec-want) > want*1e-9 {
			t.Errorf("%s scan_users=%d scan_users_per_sec=%v, want 3000 and %v", r.Format, r.ScanUsers, r.ScanUsersPerSec, want)
		}
	}
	if strings.Join(formats, ",") != "csv,json" {
		t.Errorf("formats %v, want csv then json", formats)
	}
	// --cpuprofile profiles this process, so it needs the jobs in it.
	err := run(context.Background(), []string{"bench", "--users", "10", "--cpuprofile", t.TempDir() + "/cpu.out", "--addr", "127.0.0.1:0"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--jobs inline") {
		t.Errorf("bench --cpuprofile without --jobs inline = %v, want an error naming --jobs inline", err)
	}
}
