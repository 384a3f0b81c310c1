package userport

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"time"
)

// DefaultConnectionName is the database connection every tenant starts with.
const DefaultConnectionName = "Username-Password-Authentication"

// The connection-name rule (Auth0's): letters, digits and inner hyphens, at
// most MaxConnectionNameLength characters.
const (
	ConnectionNamePattern   = `^[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?$`
	MaxConnectionNameLength = 128
)

var connectionNamePattern = regexp.MustCompile(ConnectionNamePattern)

// CheckConnectionName checks a new connection's name against the
// connection-name rule; every creator of connections (the API, seed, load)
// calls it. It returns nil when name fits.
func CheckConnectionName(name string) *AttrIssue {
	if is := CheckLength(name, MaxConnectionNameLength); is != nil {
		return is
	}
	if !connectionNamePattern.MatchString(name) {
		return &AttrIssue{ImportPattern, "String does not match pattern " + ConnectionNamePattern + ": " + Excerpt(name)}
	}
	return nil
}

// Connection is an identity source of a tenant. userport knows the "auth0"
// (database) strategy.
type Connection struct {
	Tenant    string
	ID        string // "con_" + 16 alphanumerics
	Name      string // unique within the tenant
	Strategy  string // "auth0"
	CreatedAt time.Time
	// Options are the connection's options as given, with Auth0's
	// defaults added (see ConnectionOptions); nil for none.
	Options json.RawMessage
	// DeletedAt is when the connection was deleted: it is gone for the
	// API at once, its users are purged afterwards (zero: not deleted).
	DeletedAt time.Time
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
	// UpdateConnection replaces c's options (matched by tenant and id):
	// ENOTFOUND if absent or deleted.
	UpdateConnection(ctx context.Context, c *Connection) error
	// DeleteConnection marks the connection deleted at at: from then on the
	// Find and List methods do not return it. ENOTFOUND if absent or
	// deleted already. Its users stay until PurgeConnection removes them.
	DeleteConnection(ctx context.Context, tenant, id string, at time.Time) error
	// ListDeletedConnections returns the deleted connections of every
	// tenant whose users are still to purge.
	ListDeletedConnections(ctx context.Context) ([]*Connection, error)
	// PurgeConnection deletes up to limit users of a deleted connection in
	// one short transaction and returns how many it deleted; when none are
	// left it removes the connection itself (and returns 0).
	PurgeConnection(ctx context.Context, tenant, id string, limit int) (int, error)
}

// Every connection's options carry Auth0's defaults for a database
// connection, as recorded from real tenants: those Auth0 writes before the
// options given, and those after.
var (
	optionDefaultsBefore = []Member{
		{"mfa", json.RawMessage(`{"active":true,"return_enroll_settings":true}`)},
		{"passwordPolicy", json.RawMessage(`"good"`)},
		{"strategy_version", json.RawMessage(`2`)},
	}
	optionDefaultsAfter = []Member{
		{"authentication_methods", json.RawMessage(`{"password":{"enabled":true},"passkey":{"enabled":false}}`)},
		{"passkey_options", json.RawMessage(`{"challenge_ui":"both","progressive_enrollment_enabled":true,"local_enrollment_enabled":true}`)},
		{"brute_force_protection", json.RawMessage(`true`)},
	}
)

// ConnectionOptions returns the options of a new connection: given (a JSON
// object, or nil), with Auth0's defaults for the keys it does not set.
func ConnectionOptions(given json.RawMessage) (json.RawMessage, error) {
	return withDefaults(given, optionDefaultsBefore, optionDefaultsAfter)
}

// UpdatedConnectionOptions returns the options that given replaces old
// with, as Auth0 does on PATCH: given whole, plus the defaults Auth0 keeps
// (authentication, passkeys, brute-force protection) from old or anew.
func UpdatedConnectionOptions(old, given json.RawMessage) (json.RawMessage, error) {
	kept, _ := objectMembers(old) // old options that are not an object keep nothing
	after := make([]Member, len(optionDefaultsAfter))
	for i, d := range optionDefaultsAfter {
		after[i] = d
		for _, m := range kept {
			if m.Key == d.Key {
				after[i].Value = m.Value
			}
		}
	}
	return withDefaults(given, nil, after)
}

// withDefaults returns the object given between the defaults before and
// after, each default left out when given sets its key.
func withDefaults(given json.RawMessage, before, after []Member) (json.RawMessage, error) {
	var members []Member
	if len(given) > 0 {
		var err error
		if members, err = objectMembers(given); err != nil {
			return nil, fmt.Errorf("connection options: %w", err)
		}
	}
	set := map[string]bool{}
	for _, m := range members {
		set[m.Key] = true
	}
	var out []Member
	for _, d := range before {
		if !set[d.Key] {
			out = append(out, d)
		}
	}
	out = append(out, members...)
	for _, d := range after {
		if !set[d.Key] {
			out = append(out, d)
		}
	}
	return writeObject(out)
}
