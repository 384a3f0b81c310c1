package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/userport/userport"
)

// StartJob moves a pending job to processing when fewer than limit jobs of its
// tenant and type are processing or pending and older: the oldest pending
// jobs take the free places first, whichever of their River jobs comes
// first. In one transaction (IMMEDIATE, so atomic even across processes) it
// reads the job, counts the jobs ahead of it and lets userport.Job.Start
// decide; it returns the job unchanged when Start refused.
func (db *DB) StartJob(ctx context.Context, tenant, id string, limit int, now time.Time) (_ *userport.Job, err error) {
	defer mapBusy(&err)
	var read *userport.Job
	j, err := db.updateJob(ctx, tenant, id, func(tx *sql.Tx, j *userport.Job) error {
		read = j
		var ahead int
		if err := tx.QueryRowContext(ctx, sqlCountAhead, aheadArgs(j)...).Scan(&ahead); err != nil {
			return fmt.Errorf("count jobs ahead: %w", err)
		}
		return j.Start(now, ahead, limit)
	}, nil)
	if userport.StartRefused(err) {
		return read, nil
	} else if err != nil {
		return nil, fmt.Errorf("start job: %w", err)
	}
	return j, nil
}

// sqlCountAhead counts the active jobs that go before a job (aheadArgs):
// of its tenant and type, processing or created before it (then by id).
var sqlCountAhead = sqlCountActive + ` AND (status = ? OR (created_at, id) < (?, ?))`

// aheadArgs are the arguments of sqlCountAhead for j.
func aheadArgs(j *userport.Job) []any {
	return append(activeArgs(j.Tenant, j.Type), string(userport.JobProcessing), toMillis(j.CreatedAt), j.ID)
}
