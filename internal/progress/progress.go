// Package progress shows the progress of the command line's long work on a
// terminal: users written, a job's percentage, bytes moved. Written to
// anything else (a pipe, a log), the bars draw nothing and a job shows one
// plain line each time it changes, so logs and CI output stay clean.
package progress

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"

	"github.com/userport/userport/client"
)

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// Users is a bar of n users, drawn on w only when w is a terminal.
type Users struct{ bar *progressbar.ProgressBar }

// NewUsers returns the bar of n users on w, described as what.
func NewUsers(w io.Writer, n int, what string) *Users {
	if !IsTerminal(w) {
		w = io.Discard
	}
	return &Users{bar: progressbar.NewOptions(n, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("users"),
		progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())}
}

// Add counts n more users.
func (u *Users) Add(n int) { _ = u.bar.Add(n) }

// Finish completes the bar and clears it.
func (u *Users) Finish() error { return u.bar.Finish() }

// Bytes returns a progress function of a transfer: a bar on a terminal,
// drawn once the size is known (a bar of unknown size would spin from a
// goroutine of its own, racing with its updates); nil, and nothing shown,
// otherwise.
func Bytes(w io.Writer, what string) (fn func(done, total int64), finish func()) {
	if !IsTerminal(w) {
		return nil, func() {}
	}
	var bar *progressbar.ProgressBar
	fn = func(done, size int64) {
		if bar == nil && size > 0 {
			bar = progressbar.NewOptions64(size, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(what),
				progressbar.OptionShowBytes(true), progressbar.OptionShowTotalBytes(true), progressbar.OptionSetWidth(30),
				progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
		}
		if bar != nil {
			_ = bar.Set64(done)
		}
	}
	return fn, func() {
		if bar != nil {
			_ = bar.Finish()
		}
	}
}

// Job shows a running job on w: a bar driven by percentage_done and
// time_left_seconds on a terminal, otherwise a plain line each time what it
// would say changes.
type Job struct {
	w    io.Writer
	bar  *progressbar.ProgressBar // nil: plain lines
	last string
}

// NewJob returns the progress display of job on w, showing it.
func NewJob(w io.Writer, job *client.Job) *Job {
	p := &Job{w: w}
	if IsTerminal(w) {
		p.bar = progressbar.NewOptions(100, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(barLine(job)),
			progressbar.OptionSetPredictTime(false), progressbar.OptionSetRenderBlankState(true),
			progressbar.OptionSetWidth(30))
	}
	p.Show(job)
	return p
}

// Show displays a reading of the job.
func (p *Job) Show(j *client.Job) {
	line := Line(j)
	if p.bar == nil {
		if line != p.last {
			fmt.Fprintln(p.w, line)
		}
		p.last = line
		return
	}
	p.bar.Describe(barLine(j))
	switch {
	case j.Status == "completed":
		_ = p.bar.Finish() // drawn full, and left on its line
		fmt.Fprintln(p.w)
	case j.Done(): // failed or expired: the bar stays where it was
		_ = p.bar.Exit()
		fmt.Fprintln(p.w)
	case j.PercentageDone != nil:
		_ = p.bar.Set(*j.PercentageDone)
	}
}

// Line says where the job is: its id, status, and while it processes its
// percentage and the time left.
func Line(j *client.Job) string {
	s := j.ID + " " + j.Status
	if j.PercentageDone != nil {
		s += fmt.Sprintf(" %d%%", *j.PercentageDone)
	}
	return s + timeLeft(j)
}

// barLine is the description of the bar: Line less the percentage, which
// the bar shows.
func barLine(j *client.Job) string {
	return j.ID + " " + j.Status + timeLeft(j)
}

// timeLeft is ", 1m5s left" when the job says how long it has left.
func timeLeft(j *client.Job) string {
	if j.TimeLeftSeconds == nil {
		return ""
	}
	return fmt.Sprintf(", %s left", time.Duration(*j.TimeLeftSeconds)*time.Second)
}
