package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/userport/userport"
)

// runJob creates the export over HTTP and polls GET /api/v2/jobs/{id}
// every interval until it completes, recording how long each GET took.
func (t *Target) runJob(ctx context.Context, body map[string]any, interval time.Duration) (*userport.Job, []time.Duration, error) {
	var created struct{ ID string }
	if status, err := t.call(ctx, http.MethodPost, "/api/v2/jobs/users-exports", body, &created); err != nil || status != http.StatusOK {
		return nil, nil, fmt.Errorf("create export: status %d (%v)", status, err)
	}
	var latencies []time.Duration
	for {
		var got struct{ Status, StatusDetails string }
		start := time.Now()
		status, err := t.call(ctx, http.MethodGet, "/api/v2/jobs/"+created.ID, nil, &got)
		latencies = append(latencies, time.Since(start))
		switch {
		case err != nil || status != http.StatusOK:
			return nil, nil, fmt.Errorf("get job: status %d (%v)", status, err)
		case got.Status == string(userport.JobCompleted):
			job, err := t.Store.FindJob(ctx, t.Tenant, created.ID)
			return job, latencies, err
		case got.Status == string(userport.JobFailed):
			return nil, nil, errors.New(got.StatusDetails)
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(interval):
		}
	}
}

// call sends one API request and decodes the JSON answer into out.
func (t *Target) call(ctx context.Context, method, path string, body, out any) (int, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.URL+path, r)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+t.Token)
	req.Header.Set("Content-Type", "application/json")
	client := t.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, json.NewDecoder(resp.Body).Decode(out)
}

// Paging times reading the first n users through GET /api/v2/users at
// per_page=100, the way scripts page without an export.
func Paging(ctx context.Context, t *Target, n int) (users int, secs float64, err error) {
	start := time.Now()
	for page := 0; users < n; page++ {
		var got []json.RawMessage
		status, err := t.call(ctx, http.MethodGet, fmt.Sprintf("/api/v2/users?per_page=100&page=%d", page), nil, &got)
		if err != nil || status != http.StatusOK {
			return users, 0, fmt.Errorf("list users: status %d (%v)", status, err)
		}
		users += len(got)
		if len(got) < 100 {
			break
		}
	}
	return users, time.Since(start).Seconds(), nil
}
