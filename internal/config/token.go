package config

import (
	"flag"

	"github.com/userport/userport/auth"
)

// TokenServerURL is the base URL of the server a token of `userport token`
// is for (its issuer and audience): --public-url or --addr (or their
// twins) when given, else the URL the server last served on, which it
// records in the tenant's admin client file, else http://ADDR. fs is the
// command's parsed flag set.
func (c *Config) TokenServerURL(fs *flag.FlagSet) string {
	if c.PublicURL != "" {
		return c.PublicURL
	}
	if !Given(fs, "public-url", "addr") {
		if f, err := auth.ReadAdminFile(c.DataDir, c.Tenant); err == nil && f.ServerURL() != "" {
			return f.ServerURL()
		}
	}
	return "http://" + c.Addr
}

// AdminClient names the tenant's admin client: the configured one, the
// one in the tenant's credentials file, or "" when there is none.
func (c *Config) AdminClient() string {
	if c.AdminClientID != "" {
		return c.AdminClientID
	}
	if f, err := auth.ReadAdminFile(c.DataDir, c.Tenant); err == nil {
		return f.ClientID
	}
	return ""
}
