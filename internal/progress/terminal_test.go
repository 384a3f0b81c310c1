package progress_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/userport/userport/client"
	"github.com/userport/userport/internal/progress"
)

// onTerminal calls draw with a pseudo-terminal and returns what the
// terminal received.
func onTerminal(t *testing.T, draw func(w io.Writer)) string {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal on this system: %v", err)
	}
	defer ptmx.Close()
	var screen bytes.Buffer
	read := make(chan error, 1)
	go func() { _, err := io.Copy(&screen, ptmx); read <- err }()
	draw(tty)
	tty.Close() // the reader gets what was written, then EIO
	if err := <-read; err != nil && !errors.Is(err, os.ErrClosed) && !strings.Contains(err.Error(), "input/output error") {
		t.Errorf("read the terminal: %v", err)
	}
	return screen.String()
}

// TestJobBarFirstFrames: on a terminal, the job's bar draws nothing until
// the job has a percentage, and each frame pairs the job's status with its
// own percentage (never "completed 0%").
func TestJobBarFirstFrames(t *testing.T) {
	for _, tt := range []struct {
		name  string
		shown []client.Job
		want  []string // the percentages of the frames, with their status
	}{
		{"pending, then completed", []client.Job{
			{ID: "job_1", Status: "pending"},
			{ID: "job_1", Status: "completed", PercentageDone: intp(100)},
		}, []string{"completed 100%"}},
		{"processing, then completed", []client.Job{
			{ID: "job_1", Status: "pending"},
			{ID: "job_1", Status: "processing", PercentageDone: intp(40), TimeLeftSeconds: intp(3)},
			{ID: "job_1", Status: "completed", PercentageDone: intp(100)},
		}, []string{"processing, 3s left  40%", "completed 100%"}},
		{"failed before any percentage", []client.Job{
			{ID: "job_1", Status: "pending"},
			{ID: "job_1", Status: "failed", StatusDetails: "disk full"},
		}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			screen := onTerminal(t, func(w io.Writer) {
				p := progress.NewJob(w, &tt.shown[0])
				for i := range tt.shown[1:] {
					p.Show(&tt.shown[1+i])
				}
			})
			frames := regexp.MustCompile(`job_1 ([a-z]+(?:, \w+ left)? +\d+%)`).FindAllStringSubmatch(screen, -1)
			var got []string
			for _, f := range frames {
				got = append(got, f[1])
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("frames %q, want %q; screen %q", got, tt.want, screen)
			}
		})
	}
}

// TestBytesBarWaitsForARate: a transfer's bar shows nothing until it has
// measured a rate (a first frame of a few bytes after microseconds would
// say GB/s), then a rate of the right order.
func TestBytesBarWaitsForARate(t *testing.T) {
	t.Parallel()
	t.Run("quick", func(t *testing.T) {
		t.Parallel()
		screen := onTerminal(t, func(w io.Writer) {
			fn, finish := progress.Bytes(w, "downloading x")
			for _, done := range []int64{1 << 16, 1 << 17, 1 << 18} {
				fn(done, 1<<21)
			}
			finish()
		})
		if screen != "" {
			t.Errorf("drawn before a rate: %q", screen)
		}
	})
	t.Run("slow", func(t *testing.T) {
		t.Parallel()
		screen := onTerminal(t, func(w io.Writer) {
			fn, finish := progress.Bytes(w, "downloading x")
			fn(1<<16, 1<<21)
			time.Sleep(1200 * time.Millisecond)
			fn(1<<20, 1<<21) // about 1 MB in 1.2 s
			finish()
		})
		if !regexp.MustCompile(`downloading x .*\((?:[0-9.]+ (?:kB|MB)/s)\)`).MatchString(screen) {
			t.Errorf("no frame with a rate of kB/s or MB/s: %q", screen)
		}
	})
}

// TestUsersBarWaitsForARate: the users bar too shows nothing before it has
// a rate.
func TestUsersBarWaitsForARate(t *testing.T) {
	t.Parallel()
	screen := onTerminal(t, func(w io.Writer) {
		u := progress.NewUsers(w, 1000, "seeding users")
		u.Add(500)
		u.Add(500)
		_ = u.Finish()
	})
	if screen != "" {
		t.Errorf("drawn before a rate: %q", screen)
	}
}
