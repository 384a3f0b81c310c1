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
	"github.com/userport/userport/internal/profile"
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
	// Source says where URL came from (Validate sets it): --url,
	// USERPORT_URL, the saved profile, the admin client file or the default.
	Source string

	envErrors []error
}

// DefaultURL is the server the client commands speak to by default.
const DefaultURL = "http://127.0.0.1:8080"

// remoteSettings are the client commands' settings.
var remoteSettings = []setting[Remote]{
	opt("url", func(c *Remote) *string { return &c.URL }, "", "base URL of the server: a userport server, or https://TENANT.auth0.com; "+
		"default: the saved profile's (userport login), else the local server's admin client file's, else "+DefaultURL),
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

// Validate checks the settings and finds the server and the credentials,
// each from the first of these that gives it: the flags and their
// environment twins; the profile `userport login` saved (when it is for
// the URL given, if one is); the admin client file of --tenant in
// --data-dir; for the URL, DefaultURL.
func (c *Remote) Validate() error {
	if err := errors.Join(c.envErrors...); err != nil {
		return err
	}
	if c.PollInterval <= 0 {
		return errors.New("--poll-interval must be positive")
	}
	if c.Token == "" && (c.ClientID == "") != (c.ClientSecret == "") {
		return errors.New("set both --client-id and --client-secret (USERPORT_CLIENT_ID, USERPORT_CLIENT_SECRET), or neither")
	}
	if c.URL != "" {
		c.URL, c.Source = client.BaseURL(c.URL), urlFlagSource(c.URL)
	}
	if c.Token == "" && c.ClientID == "" {
		if err := c.saved(); err != nil {
			return err
		}
	}
	if c.URL == "" {
		c.URL, c.Source = DefaultURL, "the default"
	}
	return nil
}

// urlFlagSource names where the URL u given came from.
func urlFlagSource(u string) string {
	if v, ok := os.LookupEnv(EnvName("url")); ok && v == u {
		return EnvName("url")
	}
	return "--url"
}

// saved takes the credentials (and the URL, if none is given) from the
// saved profile, else from the tenant's admin client file.
func (c *Remote) saved() error {
	p, path, err := profile.Load()
	switch {
	case err == nil && (c.URL == "" || c.URL == client.BaseURL(p.URL)):
		c.ClientID, c.ClientSecret = p.ClientID, p.ClientSecret
		if c.URL == "" {
			c.URL, c.Source = client.BaseURL(p.URL), "the profile "+path
		}
		return nil
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return err
	}
	if err := CheckTenant(c.Tenant); err != nil {
		return err
	}
	f, err := auth.ReadAdminFile(c.DataDir, c.Tenant)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no credentials: give --token, or --client-id and --client-secret (or USERPORT_TOKEN, "+
			"USERPORT_CLIENT_ID, USERPORT_CLIENT_SECRET), or save them with `userport login`; the local server's %s cannot be read: %w",
			auth.AdminFilePath(c.DataDir, c.Tenant), err)
	} else if err != nil {
		return err
	}
	c.ClientID, c.ClientSecret = f.ClientID, f.ClientSecret
	if c.URL == "" && f.ServerURL() != "" {
		c.URL, c.Source = f.ServerURL(), "the admin client file "+auth.AdminFilePath(c.DataDir, c.Tenant)
	}
	return nil
}

// Client returns the Management API client of the configuration; a server
// it cannot reach is an error that says where its URL came from and how
// to give another.
func (c *Remote) Client() (*client.Client, error) {
	hint := fmt.Sprintf("the URL %s is from %s: give another with --url or USERPORT_URL, or save one with `userport login --url URL ...`",
		c.URL, c.Source)
	return client.New(client.Options{URL: c.URL, ClientID: c.ClientID, ClientSecret: c.ClientSecret, Token: c.Token, Hint: hint})
}
