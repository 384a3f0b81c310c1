package config

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/userport/userport/client"
	"github.com/userport/userport/internal/profile"
)

// Login checks p's credentials by getting a token from its server, then
// saves p, its URL made the server's base URL, as the profile the client
// commands use when given no --url nor credentials (Validate). It returns
// the profile saved and where.
func Login(ctx context.Context, p profile.Profile) (profile.Profile, string, error) {
	if p.URL == "" || p.ClientID == "" || p.ClientSecret == "" {
		return p, "", errors.New("give --url, --client-id and --client-secret")
	}
	c, err := client.New(client.Options{URL: p.URL, ClientID: p.ClientID, ClientSecret: p.ClientSecret})
	if err != nil {
		return p, "", err
	}
	if _, err := c.Token(ctx); err != nil {
		return p, "", fmt.Errorf("the credentials were not saved: %w", err)
	}
	p.URL = c.URL()
	path, err := profile.Save(p)
	return p, path, err
}

// ParseClientCommand parses args into c with fs, the flags of a client
// command (jobs get, users list) that takes exactly nArgs arguments, and
// returns them with the client of the configuration. A wrong number of
// arguments shows the command's help on stderr.
func (c *Remote) ParseClientCommand(fs *flag.FlagSet, args []string, stderr io.Writer, nArgs int) ([]string, *client.Client, error) {
	rest, err := ParseCommand(fs, args, stderr, c, nArgs)
	if err != nil {
		return nil, nil, err
	}
	if len(rest) != nArgs {
		fs.Usage()
		return nil, nil, fmt.Errorf("userport %s: want %d argument(s), got %d", fs.Name(), nArgs, len(rest))
	}
	cl, err := c.Client()
	return rest, cl, err
}
