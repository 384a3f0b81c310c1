package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/userport/userport"
)

// Job is an export or import job as GET /api/v2/jobs/{id} shows it.
type Job struct {
	Type            string                  `json:"type"`
	Status          string                  `json:"status"`
	ConnectionID    string                  `json:"connection_id,omitempty"`
	Format          string                  `json:"format,omitempty"`
	Limit           int                     `json:"limit,omitempty"`
	Fields          []userport.Field        `json:"fields,omitempty"`
	Connection      string                  `json:"connection,omitempty"`
	CreatedAt       string                  `json:"created_at"`
	ID              string                  `json:"id"`
	ExternalID      string                  `json:"external_id,omitempty"`
	PercentageDone  *int                    `json:"percentage_done,omitempty"`
	TimeLeftSeconds *int                    `json:"time_left_seconds,omitempty"`
	Location        string                  `json:"location,omitempty"`
	Summary         *userport.ImportSummary `json:"summary,omitempty"`
	StatusDetails   string                  `json:"status_details,omitempty"`
}

// Done reports whether the job has reached a final status.
func (j *Job) Done() bool {
	switch j.Status {
	case "pending", "processing":
		return false
	}
	return true
}

// ExportRequest is the body of POST /api/v2/jobs/users-exports; zero values
// are left out (the server's defaults apply).
type ExportRequest struct {
	ConnectionID string           `json:"connection_id,omitempty"`
	Format       string           `json:"format,omitempty"`
	Limit        int              `json:"limit,omitempty"`
	Fields       []userport.Field `json:"fields,omitempty"`
	// Q is an Auth0 user-search query that selects the users (a userport
	// extension): app_metadata.plan:"pro" AND last_login:[2025-01-01 TO *].
	Q string `json:"q,omitempty"`
	// ChangesSince is the cursor of an earlier export's manifest (a
	// userport extension): the export holds the users created or updated
	// since, and a tombstone for each user deleted since.
	ChangesSince string `json:"changes_since,omitempty"`
}

// CreateExport creates an export job.
func (c *Client) CreateExport(ctx context.Context, r ExportRequest) (*Job, error) {
	var j Job
	if err := c.api(ctx, http.MethodPost, "/jobs/users-exports", nil, r, http.StatusOK, &j); err != nil {
		return nil, fmt.Errorf("create the export: %w", err)
	}
	return &j, nil
}

// Job reads the job id; a completed export's Location is a fresh link.
func (c *Client) Job(ctx context.Context, id string) (*Job, error) {
	var j Job
	if err := c.api(ctx, http.MethodGet, "/jobs/"+url.PathEscape(id), nil, nil, http.StatusOK, &j); err != nil {
		return nil, fmt.Errorf("get job %s: %w", id, err)
	}
	return &j, nil
}

// JobPage is a page of the tenant's jobs, newest first.
type JobPage struct {
	Start  int   `json:"start"`
	Limit  int   `json:"limit"`
	Length int   `json:"length"`
	Total  int   `json:"total"`
	Jobs   []Job `json:"jobs"`
}

// ListJobs reads page (from 0) of the tenant's jobs, perPage at a time, with
// the total (GET /api/v2/jobs, a userport extension).
func (c *Client) ListJobs(ctx context.Context, page, perPage int) (*JobPage, error) {
	q := url.Values{"page": {strconv.Itoa(page)}, "per_page": {strconv.Itoa(perPage)}, "include_totals": {"true"}}
	var p JobPage
	if err := c.api(ctx, http.MethodGet, "/jobs", q, nil, http.StatusOK, &p); err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return &p, nil
}

// JobErrors reads the per-user errors of an import job (none: an empty list).
func (c *Client) JobErrors(ctx context.Context, id string) ([]userport.ImportError, error) {
	var errs []userport.ImportError
	err := c.api(ctx, http.MethodGet, "/jobs/"+url.PathEscape(id)+"/errors", nil, nil, http.StatusOK, &errs)
	var e *Error
	if errors.As(err, &e) && e.StatusCode == http.StatusNoContent {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get the errors of job %s: %w", id, err)
	}
	return errs, nil
}

// Wait reads the job every interval until it is done, calling seen (if not
// nil) with each reading, and returns the last.
func (c *Client) Wait(ctx context.Context, id string, interval time.Duration, seen func(*Job)) (*Job, error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		j, err := c.Job(ctx, id)
		if err != nil {
			return nil, err
		}
		if seen != nil {
			seen(j)
		}
		if j.Done() {
			return j, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}
