package main

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

// remoteConfig is the configuration of the client commands (export, import,
// jobs), which speak HTTP to a server: flags, each with its USERPORT_* twin.
type remoteConfig struct {
	URL          string
	ClientID     string
	ClientSecret string
	Token        string
	DataDir      string        // where the admin client's file is looked for when no credentials are given
	Tenant       string        // whose admin client file that is
	PollInterval time.Duration // how often a job is read while it runs
}

// defaultURL is the server the client commands speak to by default.
const defaultURL = "http://127.0.0.1:8080"

// flags registers the client commands' flags.
func (c *remoteConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.URL, "url", env("URL", defaultURL), "base URL of the server: a userport server, or https://TENANT.auth0.com (USERPORT_URL)")
	fs.StringVar(&c.ClientID, "client-id", env("CLIENT_ID", ""), "client id for a token by client credentials (USERPORT_CLIENT_ID)")
	fs.StringVar(&c.ClientSecret, "client-secret", env("CLIENT_SECRET", ""), "the client's secret (USERPORT_CLIENT_SECRET)")
	fs.StringVar(&c.Token, "token", env("TOKEN", ""), "an access token to use instead of client credentials (USERPORT_TOKEN)")
	fs.StringVar(&c.DataDir, "data-dir", env("DATA_DIR", "./userport-data"), "with no token nor client credentials, the local server's data dir, whose admin client file is used (USERPORT_DATA_DIR)")
	fs.StringVar(&c.Tenant, "tenant", env("TENANT", userport.DefaultTenant), "with no token nor client credentials, the local server's tenant: admin-client.json is the default tenant's, admin-client.TENANT.json another's (USERPORT_TENANT)")
	fs.DurationVar(&c.PollInterval, "poll-interval", time.Second, "how often a running job is read")
}

// Validate checks the settings and, when no credentials are given, reads
// the tenant's admin client file in the data dir.
func (c *remoteConfig) Validate() error {
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
	if err := checkTenant(c.Tenant); err != nil {
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

// client returns the Management API client of the configuration.
func (c *remoteConfig) client() (*client.Client, error) {
	return client.New(client.Options{URL: c.URL, ClientID: c.ClientID, ClientSecret: c.ClientSecret, Token: c.Token})
}
