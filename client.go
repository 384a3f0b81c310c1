package userport

import (
	"context"
	"time"
)

// Client is a machine-to-machine application allowed to ask /oauth/token for
// Management API tokens with some of its granted scopes.
type Client struct {
	Tenant     string
	ID         string
	Name       string
	SecretHash string   // see auth.HashSecret; the secret itself is never stored
	Scopes     []string // the scopes granted to the client
	CreatedAt  time.Time
}

// ClientStore keeps clients.
type ClientStore interface {
	// PutClient inserts c, or replaces the client with the same tenant and id.
	PutClient(ctx context.Context, c *Client) error
	// FindClient returns ENOTFOUND when there is no such client.
	FindClient(ctx context.Context, tenant, id string) (*Client, error)
	// CountClients counts a tenant's clients.
	CountClients(ctx context.Context, tenant string) (int, error)
}
