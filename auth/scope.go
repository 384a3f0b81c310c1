// Package auth is userport's token and credential logic: the Management API
// scopes, the RS256 signing keys (persisted, rotated, published as a JWKS),
// client-credentials access tokens and their verification, client secrets and
// user password hashes.
//
// It does no HTTP: httpapi turns requests into calls here and errors from here
// into responses.
package auth

import (
	"slices"
	"strings"
)

// The Management API scopes userport knows.
const (
	ScopeReadUsers         = "read:users"
	ScopeCreateUsers       = "create:users"
	ScopeUpdateUsers       = "update:users"
	ScopeDeleteUsers       = "delete:users"
	ScopeReadConnections   = "read:connections"
	ScopeCreateConnections = "create:connections"
	ScopeUpdateConnections = "update:connections"
	ScopeDeleteConnections = "delete:connections"
	ScopeReadClients       = "read:clients"

	// Completion webhooks (a userport extension).
	ScopeCreateJobWebhooks = "create:job_webhooks"
	ScopeReadJobWebhooks   = "read:job_webhooks"
	ScopeUpdateJobWebhooks = "update:job_webhooks"
	ScopeDeleteJobWebhooks = "delete:job_webhooks"
)

// AllScopes returns every scope userport knows, in a fixed order. The slice is
// new on every call; callers may modify it.
func AllScopes() []string {
	return []string{
		ScopeReadUsers, ScopeCreateUsers, ScopeUpdateUsers, ScopeDeleteUsers,
		ScopeReadConnections, ScopeCreateConnections, ScopeUpdateConnections, ScopeDeleteConnections, ScopeReadClients,
		ScopeCreateJobWebhooks, ScopeReadJobWebhooks, ScopeUpdateJobWebhooks, ScopeDeleteJobWebhooks,
	}
}

// KnownScope reports whether s is one of AllScopes.
func KnownScope(s string) bool {
	return slices.Contains(AllScopes(), s)
}

// ParseScope splits a space-separated scope string (as in the OAuth `scope`
// parameter and the token's `scope` claim) into scopes, dropping empty parts
// and duplicates and keeping the first occurrence's order. It returns nil when
// there is no scope.
func ParseScope(s string) []string {
	var out []string
	for _, f := range strings.Fields(s) {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// HasAny reports whether granted holds at least one of want. It is false when
// want is empty.
func HasAny(granted []string, want ...string) bool {
	for _, w := range want {
		if slices.Contains(granted, w) {
			return true
		}
	}
	return false
}

// Missing returns the scopes of want that granted does not hold, in want's
// order (nil when granted covers want). The token endpoint uses it to refuse a
// request for scopes the client was not granted.
func Missing(granted, want []string) []string {
	var out []string
	for _, w := range want {
		if !slices.Contains(granted, w) && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}
