package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/userport/userport"
)

// StartJob moves a pending job to processing when fewer than limit jobs of its
// tenant and type are processing or pending and older: the oldest pending
// jobs take the free places first, whichever of their River jobs comes
// first. The check and the change are one UPDATE statement, which SQLite
// runs atomically even across processes.
func (db *DB) StartJob(ctx context.Context, tenant, id string, limit int, now time.Time) (_ *userport.Job, err error) {
	defer mapBusy(&err)
	_, err = db.db.ExecContext(ctx, `UPDATE jobs SET status = 'processing', started_at = ?
		WHERE tenant = ? AND id = ? AND status = 'pending'
		AND (SELECT count(*) FROM jobs AS o WHERE o.tenant = jobs.tenant AND o.type = jobs.type
			AND (o.status = 'processing' OR o.status = 'pending'
				AND (o.created_at, o.id) < (jobs.created_at, jobs.id))) < ?`, toMillis(now), tenant, id, limit)
	if err != nil {
		return nil, fmt.Errorf("start job: %w", err)
	}
	return db.FindJob(ctx, tenant, id)
}
