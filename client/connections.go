package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Connection is a connection as GET /api/v2/connections lists it (the
// keys the CLI shows).
type Connection struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Strategy string `json:"strategy"`
}

// connectionsPerPage is how many connections one request reads (Auth0's most).
const connectionsPerPage = 100

// Connections reads every connection of the tenant, a page of
// connectionsPerPage at a time, in the server's order.
func (c *Client) Connections(ctx context.Context) ([]Connection, error) {
	var all []Connection
	for page := 0; ; page++ {
		var p struct {
			Total       int          `json:"total"`
			Connections []Connection `json:"connections"`
		}
		q := url.Values{"page": {strconv.Itoa(page)}, "per_page": {strconv.Itoa(connectionsPerPage)}, "include_totals": {"true"}}
		if err := c.api(ctx, http.MethodGet, "/connections", q, nil, http.StatusOK, &p); err != nil {
			return nil, fmt.Errorf("list connections: %w", err)
		}
		all = append(all, p.Connections...)
		if len(p.Connections) == 0 || len(all) >= p.Total {
			return all, nil
		}
	}
}

// ConnectionID returns the id of the connection whose name, or else whose
// id, is nameOrID. When none matches, the error lists the names there are.
func (c *Client) ConnectionID(ctx context.Context, nameOrID string) (string, error) {
	conns, err := c.Connections(ctx)
	if err != nil {
		return "", fmt.Errorf("find connection %q: %w", nameOrID, err)
	}
	for _, match := range []func(Connection) bool{
		func(conn Connection) bool { return conn.Name == nameOrID },
		func(conn Connection) bool { return conn.ID == nameOrID },
	} {
		for _, conn := range conns {
			if match(conn) {
				return conn.ID, nil
			}
		}
	}
	return "", &NoConnectionError{Given: nameOrID, Names: connectionNames(conns)}
}

// connectionNames lists the names of conns.
func connectionNames(conns []Connection) []string {
	names := make([]string, len(conns))
	for i, conn := range conns {
		names[i] = conn.Name
	}
	return names
}

// NoConnectionError is a connection asked for by a name or id that no
// connection of the tenant has.
type NoConnectionError struct {
	Given string   // the name or id asked for
	Names []string // the names of the tenant's connections
}

// Error says what was asked for and which connections there are.
func (e *NoConnectionError) Error() string {
	if len(e.Names) == 0 {
		return fmt.Sprintf("no connection is named %q or has that id: the tenant has no connections", e.Given)
	}
	return fmt.Sprintf("no connection is named %q or has that id; the tenant's connections: %s",
		e.Given, strings.Join(e.Names, ", "))
}
