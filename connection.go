package userport

import (
	"context"
	"time"
)

// DefaultConnectionName is the database connection every tenant starts with.
const DefaultConnectionName = "Username-Password-Authentication"

// Connection is an identity source of a tenant. userport knows the "auth0"
// (database) strategy.
type Connection struct {
	Tenant    string
	ID        string // "con_" + 16 alphanumerics
	Name      string // unique within the tenant
	Strategy  string // "auth0"
	CreatedAt time.Time
}

// ConnectionFilter selects connections for paging, ordered by id. From is the id
// of the last connection of the previous page for checkpoint paging ("" for
// offset paging or the first page).
type ConnectionFilter struct {
	Tenant string
	Name   string // exact name; "" for all
	Offset int
	From   string
	Limit  int
}

// ConnectionStore keeps connections.
type ConnectionStore interface {
	// CreateConnection inserts c: ECONFLICT if the name or id is taken.
	CreateConnection(ctx context.Context, c *Connection) error
	// FindConnection returns ENOTFOUND (detail "inexistent_connection") when absent.
	FindConnection(ctx context.Context, tenant, id string) (*Connection, error)
	// FindConnectionByName returns ENOTFOUND (detail "inexistent_connection") when absent.
	FindConnectionByName(ctx context.Context, tenant, name string) (*Connection, error)
	// ListConnections returns a page of connections ordered by id, and the total.
	ListConnections(ctx context.Context, f ConnectionFilter) ([]*Connection, int, error)
}
