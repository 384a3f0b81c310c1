package testutil

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/userport/userport"
)

// Job is a job, an export's or an import's fields, as GET
// /api/v2/jobs/{id} shows it; numbers are kept as written.
type Job struct {
	Type            string                  `json:"type"`
	Status          string                  `json:"status"`
	ConnectionID    string                  `json:"connection_id"`
	Format          string                  `json:"format"`
	Limit           json.Number             `json:"limit"`
	Fields          []userport.Field        `json:"fields"`
	Connection      string                  `json:"connection"`
	CreatedAt       string                  `json:"created_at"`
	ID              string                  `json:"id"`
	ExternalID      string                  `json:"external_id"`
	PercentageDone  json.Number             `json:"percentage_done"`
	TimeLeftSeconds json.Number             `json:"time_left_seconds"`
	Summary         *userport.ImportSummary `json:"summary"`
	Location        string                  `json:"location"`
	StatusDetails   string                  `json:"status_details"`

	// Raw is the body the job was decoded from.
	Raw []byte `json:"-"`
}

// DecodeJob decodes a job body, failing the test when it is not one.
func DecodeJob(t testing.TB, body []byte) *Job {
	t.Helper()
	j := &Job{Raw: body}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(j); err != nil {
		t.Fatalf("decode job %s: %v", body, err)
	}
	return j
}
