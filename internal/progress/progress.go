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

// rateAfter is how long a bar that shows a rate stays hidden: the bar
// measures its rate over half a second, and before that it would divide a
// first read by microseconds (218 GB/s).
const rateAfter = time.Second

// gate passes what a bar draws on to w, except while muted or before opens.
type gate struct {
	w     io.Writer
	opens time.Time // zero: open from the start
	mute  bool
}

// Write passes p on to w, or drops it while the gate is closed.
func (g *gate) Write(p []byte) (int, error) {
	if g.mute || time.Now().Before(g.opens) {
		return len(p), nil
	}
	return g.w.Write(p)
}

// rateGate is the gate of a bar that shows a rate, created just before w:
// it opens once the bar has measured one.
func rateGate(w io.Writer) *gate {
	return &gate{w: w, opens: time.Now().Add(rateAfter)}
}

// Users is a bar of n users, drawn on w only when w is a terminal, and only
// once it has a rate.
type Users struct{ bar *progressbar.ProgressBar }

// NewUsers returns the bar of n users on w, described as what.
func NewUsers(w io.Writer, n int, what string) *Users {
	if !IsTerminal(w) {
		w = io.Discard
	}
	return &Users{bar: progressbar.NewOptions(n, progressbar.OptionSetWriter(rateGate(w)), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("users"),
		progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())}
}

// Add counts n more users.
func (u *Users) Add(n int) { _ = u.bar.Add(n) }

// Finish completes the bar and clears it.
func (u *Users) Finish() error { return u.bar.Finish() }

// Bytes returns a progress function of a transfer: a bar on a terminal,
// drawn once the size is known (a bar of unknown size would spin from a
// goroutine of its own, racing with its updates) and a rate measured; nil,
// and nothing shown, otherwise.
func Bytes(w io.Writer, what string) (fn func(done, total int64), finish func()) {
	if !IsTerminal(w) {
		return nil, func() {}
	}
	var bar *progressbar.ProgressBar
	fn = func(done, size int64) {
		if bar == nil && size > 0 {
			bar = progressbar.NewOptions64(size, progressbar.OptionSetWriter(rateGate(w)), progressbar.OptionSetDescription(what),
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
// time_left_seconds on a terminal, drawn once the job has a percentage;
// otherwise a plain line each time what it would say changes.
type Job struct {
	w     io.Writer
	gate  *gate
	bar   *progressbar.ProgressBar // nil: plain lines
	drawn bool                     // the bar has been drawn
	last  string
}

// NewJob returns the progress display of job on w, showing it.
func NewJob(w io.Writer, job *client.Job) *Job {
	p := &Job{w: w}
	if IsTerminal(w) {
		p.gate = &gate{w: w}
		p.bar = progressbar.NewOptions(100, progressbar.OptionSetWriter(p.gate), progressbar.OptionSetDescription(barLine(job)),
			progressbar.OptionSetPredictTime(false), progressbar.OptionSetWidth(30))
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
	if j.PercentageDone == nil && (j.Status != "completed" && !p.drawn) {
		return // nothing to draw yet; a job that ends undrawn says why elsewhere
	}
	p.frame(j)
	if j.Done() {
		_ = p.bar.Exit() // left on its line: full when completed, where it was otherwise
		fmt.Fprintln(p.w)
	}
}

// frame draws one frame of j: the bar moved while muted (each of the bar's
// updates draws), then the new description, which draws both.
func (p *Job) frame(j *client.Job) {
	p.gate.mute = true
	switch {
	case j.Status == "completed":
		_ = p.bar.Finish()
	case j.PercentageDone != nil:
		_ = p.bar.Set(*j.PercentageDone)
	}
	p.gate.mute = false
	p.bar.Describe(barLine(j))
	p.drawn = true
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
