package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"

	"github.com/userport/userport/client"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// jobProgress shows a running job on w: a bar driven by percentage_done and
// time_left_seconds on a terminal, otherwise a plain line each time what it
// would say changes.
type jobProgress struct {
	w    io.Writer
	bar  *progressbar.ProgressBar // nil: plain lines
	last string
}

// newJobProgress returns the progress display of job on w.
func newJobProgress(w io.Writer, job *client.Job) *jobProgress {
	p := &jobProgress{w: w}
	if isTerminal(w) {
		p.bar = progressbar.NewOptions(100, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(barLine(job)),
			progressbar.OptionSetPredictTime(false), progressbar.OptionSetRenderBlankState(true),
			progressbar.OptionSetWidth(30))
	}
	p.show(job)
	return p
}

// show displays a reading of the job.
func (p *jobProgress) show(j *client.Job) {
	line := jobLine(j)
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

// jobLine says where the job is: its id, status, and while it processes its
// percentage and the time left.
func jobLine(j *client.Job) string {
	s := j.ID + " " + j.Status
	if j.PercentageDone != nil {
		s += fmt.Sprintf(" %d%%", *j.PercentageDone)
	}
	return s + timeLeft(j)
}

// barLine is the description of the bar: jobLine less the percentage,
// which the bar shows.
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

// bytesProgress returns a progress function of a transfer: a bar on a
// terminal, drawn once the size is known (a bar of unknown size would spin
// from a goroutine of its own, racing with its updates); nil, and nothing
// shown, otherwise.
func bytesProgress(w io.Writer, what string) (fn func(done, total int64), finish func()) {
	if !isTerminal(w) {
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
