// Package jobjson encodes the JSON columns a store keeps of a userport.Job:
// its export fields and its import summary.
package jobjson

import (
	"encoding/json"
	"fmt"

	"github.com/userport/userport"
)

// EncodeFields is the fields column of a job: a JSON array, "[]" for none.
func EncodeFields(fields []userport.Field) (string, error) {
	if fields == nil {
		fields = []userport.Field{}
	}
	b, err := json.Marshal(fields)
	if err != nil {
		return "", fmt.Errorf("fields: %w", err)
	}
	return string(b), nil
}

// DecodeFields reads a fields column: nil for an empty array.
func DecodeFields(s string) ([]userport.Field, error) {
	var fields []userport.Field
	if err := json.Unmarshal([]byte(s), &fields); err != nil {
		return nil, fmt.Errorf("fields: %w", err)
	}
	if len(fields) == 0 {
		return nil, nil
	}
	return fields, nil
}

// EncodeSummary is the summary column of a job: nil (NULL) for no summary.
func EncodeSummary(summary *userport.ImportSummary) (*string, error) {
	if summary == nil {
		return nil, nil
	}
	b, err := json.Marshal(summary)
	if err != nil {
		return nil, fmt.Errorf("summary: %w", err)
	}
	s := string(b)
	return &s, nil
}

// DecodeSummary reads a summary column that is not NULL.
func DecodeSummary(s string) (*userport.ImportSummary, error) {
	summary := new(userport.ImportSummary)
	if err := json.Unmarshal([]byte(s), summary); err != nil {
		return nil, fmt.Errorf("summary: %w", err)
	}
	return summary, nil
}
