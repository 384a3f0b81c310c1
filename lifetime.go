package userport

import "time"

// Lifetimes bounds how long export jobs run and how long their files and
// records, and the tombstones of deleted users, are kept.
type Lifetimes struct {
	Export time.Duration // an export still running after this fails (8 h)
	File   time.Duration // a completed export's file is deleted this long after creation (24 h)
	Record time.Duration // a job record is purged this long after creation (7 days)
	// Tombstones is the tombstone retention (--tombstone-retention, 30
	// days): the cleanup purges the tombstones of users deleted longer ago,
	// and a cursor older than it no longer starts an incremental export.
	Tombstones time.Duration
}

// DefaultLifetimes are Auth0's documented limits and userport's decisions.
var DefaultLifetimes = Lifetimes{Export: 8 * time.Hour, File: 24 * time.Hour, Record: 7 * 24 * time.Hour,
	Tombstones: 30 * 24 * time.Hour}

// WithDefaults returns l with zero durations replaced by DefaultLifetimes'.
func (l Lifetimes) WithDefaults() Lifetimes {
	if l.Export <= 0 {
		l.Export = DefaultLifetimes.Export
	}
	if l.File <= 0 {
		l.File = DefaultLifetimes.File
	}
	if l.Record <= 0 {
		l.Record = DefaultLifetimes.Record
	}
	if l.Tombstones <= 0 {
		l.Tombstones = DefaultLifetimes.Tombstones
	}
	return l
}

// StatusAt returns the status job has at now (a lifetime is over once it has
// fully passed, as JobFilter.CreatedBefore is strict), whether or not the periodic
// cleanup has caught up yet: a completed export whose file lifetime is over is
// expired, and a job past its record lifetime is gone (purged=true).
func (l Lifetimes) StatusAt(job *Job, now time.Time) (status JobStatus, purged bool) {
	age := now.Sub(job.CreatedAt)
	if age > l.Record {
		return job.Status, true
	}
	if job.Status == JobCompleted && job.Type == JobUsersExport && age > l.File {
		return JobExpired, false
	}
	return job.Status, false
}
