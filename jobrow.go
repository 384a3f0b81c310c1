package userport

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// JobColumns are the columns of a stored job, in the order of JobArgs and
// ScanJob: what each column holds is written once, here, for both stores.
const JobColumns = `tenant, id, type, status, connection_id, connection, format, export_limit, fields,
	upsert, external_id, send_email, summary, upload_key, created_at, started_at, completed_at,
	percentage_done, time_left_seconds, status_details, file_key, file_name, row_count, file_bytes,
	runner, heartbeat_at, new_ids, q, changes_since, since, tombstones, sha256, field_counts,
	mark_low, mark_high, mark_at, has_mark`

// JobColumnCount is how many JobColumns there are (the placeholders of an
// INSERT).
var JobColumnCount = strings.Count(JobColumns, ",") + 1

// JobArgs are j's values in JobColumns order, each time as timeArg makes it
// (the store's driver's value: NULL for the zero time). Fields and field
// counts are JSON arrays ("[]" for none), the summary a JSON object or nil
// (NULL), marks int64 (both stores' integers are signed; marks stay below
// 2^63).
func JobArgs(j *Job, timeArg func(time.Time) any) ([]any, error) {
	fields, err := encodeJSON("fields", j.Fields, "[]")
	if err != nil {
		return nil, err
	}
	counts, err := encodeJSON("field counts", j.FieldCounts, "[]")
	if err != nil {
		return nil, err
	}
	var summary *string
	if j.Summary != nil {
		s, err := encodeJSON("summary", j.Summary, "")
		if err != nil {
			return nil, err
		}
		summary = &s
	}
	return []any{j.Tenant, j.ID, string(j.Type), string(j.Status), j.ConnectionID, j.Connection,
		string(j.Format), j.Limit, fields, j.Upsert, j.ExternalID, j.SendEmail, summary,
		j.UploadKey, timeArg(j.CreatedAt), timeArg(j.StartedAt), timeArg(j.CompletedAt),
		j.PercentageDone, j.TimeLeftSeconds, j.StatusDetails, j.FileKey, j.FileName, j.Rows, j.FileBytes,
		j.Runner, timeArg(j.HeartbeatAt), j.NewIDs, j.Query, j.ChangesSince, int64(j.Since), j.Tombstones,
		j.SHA256, counts, int64(j.Mark.Low), int64(j.Mark.High), timeArg(j.MarkAt), j.HasMark}, nil
}

// encodeJSON is v as JSON; empty (nil, or an empty slice) when v is a nil
// slice.
func encodeJSON[T any](what string, v T, empty string) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	if string(b) == "null" && empty != "" {
		return empty, nil
	}
	return string(b), nil
}

// ScanJob reads a job from row, whose columns are JobColumns: ENOTFOUND
// ("inexistent_job") when there is none.
func ScanJob(row Row) (*Job, error) {
	var j Job
	var fields, counts string
	var summary *string
	var since, low, high int64
	err := row.Scan(&j.Tenant, &j.ID, &j.Type, &j.Status, &j.ConnectionID, &j.Connection, &j.Format,
		&j.Limit, &fields, &j.Upsert, &j.ExternalID, &j.SendEmail, &summary, &j.UploadKey,
		&j.CreatedAt, &j.StartedAt, &j.CompletedAt, &j.PercentageDone, &j.TimeLeftSeconds, &j.StatusDetails,
		&j.FileKey, &j.FileName, &j.Rows, &j.FileBytes, &j.Runner, &j.HeartbeatAt, &j.NewIDs,
		&j.Query, &j.ChangesSince, &since, &j.Tombstones, &j.SHA256, &counts, &low, &high, &j.MarkAt, &j.HasMark)
	if errors.Is(err, ErrNoRow) {
		return nil, ErrJobNotFound()
	} else if err != nil {
		return nil, err
	}
	j.Since, j.Mark = uint64(since), Watermark{Low: uint64(low), High: uint64(high)}
	if err := json.Unmarshal([]byte(fields), &j.Fields); err != nil {
		return nil, fmt.Errorf("job %s: fields: %w", j.ID, err)
	}
	if err := json.Unmarshal([]byte(counts), &j.FieldCounts); err != nil {
		return nil, fmt.Errorf("job %s: field counts: %w", j.ID, err)
	}
	if summary != nil {
		j.Summary = new(ImportSummary)
		if err := json.Unmarshal([]byte(*summary), j.Summary); err != nil {
			return nil, fmt.Errorf("job %s: summary: %w", j.ID, err)
		}
	}
	j.Fields, j.FieldCounts = nilIfEmpty(j.Fields), nilIfEmpty(j.FieldCounts)
	return &j, nil
}

// nilIfEmpty is s, or nil when it is empty: a job read back has nil for
// none, as a new one.
func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// PartColumns are the columns of a stored export part, in the order of
// PartArgs and ScanPart.
const PartColumns = `tenant, job_id, idx, after_id, until_id, status, runner, heartbeat_at, done,
	file_key, row_count, file_bytes, field_counts`

// PartColumnCount is how many PartColumns there are.
var PartColumnCount = strings.Count(PartColumns, ",") + 1

// PartArgs are p's values in PartColumns order, the heartbeat as timeArg
// makes it, the field counts a JSON array.
func PartArgs(p *ExportPart, timeArg func(time.Time) any) ([]any, error) {
	counts, err := encodeJSON("field counts", p.FieldCounts, "[]")
	if err != nil {
		return nil, err
	}
	return []any{p.Tenant, p.JobID, p.Index, p.After, p.Until, string(p.Status), p.Runner,
		timeArg(p.HeartbeatAt), p.Done, p.FileKey, p.Rows, p.FileBytes, counts}, nil
}

// ScanPart reads an export part from row, whose columns are PartColumns:
// ENOTFOUND when there is none.
func ScanPart(row Row) (*ExportPart, error) {
	var p ExportPart
	var counts string
	err := row.Scan(&p.Tenant, &p.JobID, &p.Index, &p.After, &p.Until, &p.Status, &p.Runner, &p.HeartbeatAt,
		&p.Done, &p.FileKey, &p.Rows, &p.FileBytes, &counts)
	if errors.Is(err, ErrNoRow) {
		return nil, ErrPartNotFound()
	} else if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(counts), &p.FieldCounts); err != nil {
		return nil, fmt.Errorf("export part %d: field counts: %w", p.Index, err)
	}
	p.FieldCounts = nilIfEmpty(p.FieldCounts)
	return &p, nil
}
