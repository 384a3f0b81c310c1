// Package report prints what the commands show a person: for the client
// commands (export, import, jobs) an import's summary and its per-user
// errors, a page of jobs, and the JSON the API answered, for scripts; for
// the store's commands (keys, seed, load) the keys and what was written.
package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/client"
)

// ErrUsersFailed is the outcome of an import in which some users failed:
// what failed was printed, the exit code says so.
var ErrUsersFailed = errors.New("users failed")

// JSON writes v to w as indented JSON.
func JSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Import prints a finished import job's summary and its per-user errors
// errs (as one JSON object when asJSON), took after it was started. A job
// that did not complete is an error, and so is a user that failed
// (ErrUsersFailed).
func Import(w io.Writer, job *client.Job, errs []userport.ImportError, took time.Duration, asJSON bool) error {
	s := job.Summary
	if s == nil {
		s = &userport.ImportSummary{}
	}
	if asJSON {
		if err := JSON(w, map[string]any{"job": job, "errors": NonNil(errs)}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(w, "job %s %s: %d records (%d inserted, %d updated, %d failed) into %s in %.2fs\n",
			job.ID, job.Status, s.Total, s.Inserted, s.Updated, s.Failed, job.Connection, took.Seconds())
		if err := ImportErrors(w, errs); err != nil {
			return err
		}
	}
	switch {
	case job.Status != "completed":
		return fmt.Errorf("import job %s is %s: %s", job.ID, job.Status, job.StatusDetails)
	case s.Failed > 0:
		return fmt.Errorf("import job %s: %d of %d %w", job.ID, s.Failed, s.Total, ErrUsersFailed)
	}
	return nil
}

// ImportErrors prints per-user errors as a table: the user (email, else
// user_id, else username), the error code, the path and the message.
func ImportErrors(w io.Writer, errs []userport.ImportError) error {
	if len(errs) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tCODE\tPATH\tMESSAGE")
	for _, e := range errs {
		who := importUserName(e.User)
		for _, issue := range e.Errors {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", who, issue.Code, dash(issue.Path), issue.Message)
		}
	}
	return tw.Flush()
}

// importUserName names the user of a per-user error.
func importUserName(raw json.RawMessage) string {
	var u struct{ Email, UserID, Username any }
	_ = json.Unmarshal(raw, &u)
	for _, v := range []any{u.Email, u.UserID, u.Username} {
		if s, ok := v.(string); ok && s != "" {
			return s
		}
	}
	return "-"
}

// NonNil is errs, or an empty list (so JSON shows [] rather than null).
func NonNil(errs []userport.ImportError) []userport.ImportError {
	if errs == nil {
		return []userport.ImportError{}
	}
	return errs
}

// Jobs prints a page of jobs as a table, and where it is in the list.
func Jobs(w io.Writer, p *client.JobPage) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTYPE\tSTATUS\tCREATED\tCONNECTION\tPROGRESS")
	for i := range p.Jobs {
		j := &p.Jobs[i]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", j.ID, j.Type, j.Status, j.CreatedAt, dash(j.Connection), outcome(j))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return pageLine(w, "jobs", p.Start, len(p.Jobs), p.Total)
}

// outcome sums a job up in a few words: its progress, its import summary
// or why it failed.
func outcome(j *client.Job) string {
	switch {
	case j.PercentageDone != nil:
		return fmt.Sprintf("%d%%", *j.PercentageDone)
	case j.Summary != nil:
		s := j.Summary
		return fmt.Sprintf("%d inserted, %d updated, %d failed of %d", s.Inserted, s.Updated, s.Failed, s.Total)
	case j.StatusDetails != "":
		return j.StatusDetails
	}
	return "-"
}

// dash is s, or "-" when empty (a table cell is never blank).
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
