package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
	"github.com/userport/userport/client"
)

// Remote is the configuration of the client commands (export, import,
// jobs), which speak HTTP to a server: flags, each with its USERPORT_* twin.
type Remote struct {
	URL          string
	ClientID     string
	ClientSecret string
	Token        string
	DataDir      string        // where the admin client's file is looked for when no credentials are given
	Tenant       string        // whose admin client file that is
	PollInterval time.Duration // how often a job is read while it runs

	envErrors []error
}

// DefaultURL is the server the client commands speak to by default.
const DefaultURL = "http://127.0.0.1:8080"

// remoteSettings are the client commands' settings.
var remoteSettings = []setting[Remote]{
	opt("url", func(c *Remote) *string { return &c.URL }, DefaultURL, "base URL of the server: a userport server, or https://TENANT.auth0.com"),
	opt("client-id", func(c *Remote) *string { return &c.ClientID }, "", "client id for a token by client credentials"),
	opt("client-secret", func(c *Remote) *string { return &c.ClientSecret }, "", "the client's secret"),
	opt("token", func(c *Remote) *string { return &c.Token }, "", "an access token to use instead of client credentials"),
	opt("data-dir", func(c *Remote) *string { return &c.DataDir }, DefaultDataDir, "with no token nor client credentials, the local server's data dir, whose admin client file is used"),
	opt("tenant", func(c *Remote) *string { return &c.Tenant }, userport.DefaultTenant, "with no token nor client credentials, the local server's tenant: "+
		"admin-client.json is the default tenant's, admin-client.TENANT.json another's"),
	opt("poll-interval", func(c *Remote) *time.Duration { return &c.PollInterval }, time.Second, "how often a running job is read"),
}

// Flags registers the client commands' flags.
func (c *Remote) Flags(fs *flag.FlagSet) { register(c, fs, &c.envErrors, remoteSettings...) }

// Validate checks the settings and, when no credentials are given, reads
// the tenant's admin client file in the data dir.
func (c *Remote) Validate() error {
	if err := errors.Join(c.envErrors...); err != nil {
		return err
	}
	if c.PollInterval <= 0 {
		return errors.New("--poll-interval must be positive")
	}
	if c.Token != "" {
		return nil
	}
	if (c.ClientID == "") != (c.ClientSecret == "") {
		return errors.New("set both --client-id and --client-secret (USERPORT_CLIENT_ID, USERPORT_CLIENT_SECRET), or neither")
	}
	if c.ClientID != "" {
		return nil
	}
	if err := CheckTenant(c.Tenant); err != nil {
		return err
	}
	f, err := auth.ReadAdminFile(c.DataDir, c.Tenant)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no credentials: give --token, or --client-id and --client-secret (or USERPORT_TOKEN, "+
			"USERPORT_CLIENT_ID, USERPORT_CLIENT_SECRET); the local server's %s cannot be read: %w", auth.AdminFilePath(c.DataDir, c.Tenant), err)
	} else if err != nil {
		return err
	}
	c.ClientID, c.ClientSecret = f.ClientID, f.ClientSecret
	return nil
}

// Client returns the Management API client of the configuration.
func (c *Remote) Client() (*client.Client, error) {
	return client.New(client.Options{URL: c.URL, ClientID: c.ClientID, ClientSecret: c.ClientSecret, Token: c.Token})
}
