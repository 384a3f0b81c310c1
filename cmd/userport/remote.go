package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/userport/userport/client"
)

// remoteConfig is the configuration of the client commands (export, import,
// jobs), which speak HTTP to a server: flags, each with its USERPORT_* twin.
type remoteConfig struct {
	URL          string
	ClientID     string
	ClientSecret string
	Token        string
	DataDir      string        // where admin-client.json is looked for when no credentials are given
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
	fs.StringVar(&c.DataDir, "data-dir", env("DATA_DIR", "./userport-data"), "with no token nor client credentials, the local server's data dir, whose admin-client.json is used (USERPORT_DATA_DIR)")
	fs.DurationVar(&c.PollInterval, "poll-interval", time.Second, "how often a running job is read")
}

// Validate checks the settings and, when no credentials are given, reads
// the data dir's admin-client.json.
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
	path := filepath.Join(c.DataDir, "admin-client.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("no credentials: give --token, or --client-id and --client-secret (or USERPORT_TOKEN, "+
			"USERPORT_CLIENT_ID, USERPORT_CLIENT_SECRET); the local server's %s cannot be read: %w", path, err)
	}
	var f adminClientFile
	if err := json.Unmarshal(data, &f); err != nil || f.ClientID == "" || f.ClientSecret == "" {
		return fmt.Errorf("%s holds no client_id and client_secret", path)
	}
	c.ClientID, c.ClientSecret = f.ClientID, f.ClientSecret
	return nil
}

// client returns the Management API client of the configuration.
func (c *remoteConfig) client() (*client.Client, error) {
	return client.New(client.Options{URL: c.URL, ClientID: c.ClientID, ClientSecret: c.ClientSecret, Token: c.Token})
}
