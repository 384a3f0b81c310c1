// Package userport holds the domain of the userport service: users, connections,
// clients and jobs, the one error type that crosses every boundary, and the
// interfaces that the storage, blob and job packages implement.
//
// It depends on the standard library only. Every adapter (sqlite, postgres,
// localblob, auth, httpapi, ...) implements or consumes these types; the wiring
// lives in cmd/userport.
package userport

import (
	"context"
	"time"
)

// DefaultTenant is the tenant name used when none is configured.
const DefaultTenant = "dev"

// Clock tells the time. Production code uses SystemClock; tests inject a fake so
// that 60 s links, 24 h expiries and 7 day purges can be tested without waiting.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock, in UTC.
type SystemClock struct{}

// Now returns the current time in UTC.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// Store is everything a database adapter (sqlite, postgres) provides.
type Store interface {
	UserStore
	ConnectionStore
	ClientStore
	JobStore
	ExportPartStore
	ImportStore
	SecretStore
	ChangeStore
	WebhookStore
	// Ping checks that the database answers (GET /readyz).
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}
