package userport

import (
	"context"
	"fmt"
)

// EnsureTenant makes sure a tenant has what every tenant starts with: the
// database connection DefaultConnectionName. It is safe to call on every start.
func EnsureTenant(ctx context.Context, s ConnectionStore, tenant string, clock Clock) (*Connection, error) {
	c, err := s.FindConnectionByName(ctx, tenant, DefaultConnectionName)
	if err == nil {
		return c, nil
	} else if ErrorCode(err) != ENOTFOUND {
		return nil, fmt.Errorf("find default connection: %w", err)
	}
	c = &Connection{Tenant: tenant, ID: NewConnectionID(), Name: DefaultConnectionName, Strategy: "auth0", CreatedAt: clock.Now()}
	if c.Options, err = ConnectionOptions(nil); err != nil {
		return nil, err
	}
	if err := s.CreateConnection(ctx, c); err != nil {
		return nil, fmt.Errorf("create default connection: %w", err)
	}
	return c, nil
}
