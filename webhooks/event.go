package webhooks

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/userport/userport"
)

// MaxEventBytes bounds an event's body: an export's manifest drops its
// fields and query ("truncated": true) when they would make it larger.
const MaxEventBytes = 20 << 10

// event is the body of a message (Standard Webhooks' type, timestamp,
// data).
type event struct {
	Type      userport.EventType `json:"type"`
	Timestamp string             `json:"timestamp"`
	Data      eventData          `json:"data"`
}

// eventData is what an event says of its job: never a download link.
type eventData struct {
	ID            string                  `json:"id"`
	Type          userport.JobType        `json:"type"`
	Status        userport.JobStatus      `json:"status"`
	ConnectionID  string                  `json:"connection_id,omitempty"`
	CreatedAt     string                  `json:"created_at"`
	CompletedAt   string                  `json:"completed_at,omitempty"`
	StatusDetails string                  `json:"status_details,omitempty"`
	Summary       *userport.ImportSummary `json:"summary,omitempty"`
	Manifest      *manifest               `json:"manifest,omitempty"`
}

// manifest is a completed export's manifest as an event carries it (the
// facts of GET /api/v2/jobs/{id}/manifest, without the cursor).
type manifest struct {
	Rows         int64            `json:"rows"`
	Tombstones   int64            `json:"tombstones"`
	Bytes        int64            `json:"bytes"`
	SHA256       string           `json:"sha256"`
	Format       userport.Format  `json:"format"`
	Fields       []userport.Field `json:"fields,omitempty"`
	Q            string           `json:"q,omitempty"`
	ChangesSince string           `json:"changes_since,omitempty"`
	Truncated    bool             `json:"truncated,omitempty"`
}

// Body returns the body of the event typ of job j at at, under
// MaxEventBytes.
func Body(typ userport.EventType, j *userport.Job, at time.Time) ([]byte, error) {
	e := event{Type: typ, Timestamp: stamp(at), Data: eventData{ID: j.ID, Type: j.Type, Status: j.Status,
		ConnectionID: j.ConnectionID, CreatedAt: stamp(j.CreatedAt), CompletedAt: stamp(j.CompletedAt)}}
	if j.Status == userport.JobFailed {
		e.Data.StatusDetails = j.StatusDetails
	}
	if j.Type == userport.JobUsersImport {
		e.Data.Summary = j.Summary
	} else if j.Status != userport.JobFailed && j.FileName != "" {
		e.Data.Manifest = &manifest{Rows: j.Rows, Tombstones: j.Tombstones, Bytes: j.FileBytes, SHA256: j.SHA256,
			Format: j.Format, Fields: j.Fields, Q: j.Query, ChangesSince: j.ChangesSince}
	}
	b, err := json.Marshal(e)
	if err == nil && len(b) > MaxEventBytes && e.Data.Manifest != nil {
		m := e.Data.Manifest
		m.Fields, m.Q, m.ChangesSince, m.Truncated = nil, "", "", true
		b, err = json.Marshal(e)
	}
	if err == nil && len(b) > MaxEventBytes {
		e.Data.StatusDetails = e.Data.StatusDetails[:min(len(e.Data.StatusDetails), 1024)]
		b, err = json.Marshal(e)
	}
	if err != nil {
		return nil, fmt.Errorf("event body: %w", err)
	}
	return b, nil
}

// stamp writes t as RFC 3339 with milliseconds in UTC; "" for the zero time.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return userport.FormatTime(t)
}
