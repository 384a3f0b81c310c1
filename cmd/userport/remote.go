package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/userport/userport/client"
	"github.com/userport/userport/internal/profile"
)

// runLogin implements `userport login`: it checks the credentials by
// getting a token from the server, then saves them with its URL as the
// profile the client commands use when given no --url nor credentials.
func runLogin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("login", "--url URL --client-id ID --client-secret SECRET",
		"check a server's client credentials by getting a token, and save them (with the URL) as the profile "+
			"the client commands use when given no --url nor credentials")
	var p profile.Profile
	fs.StringVar(&p.URL, "url", "", "base URL of the server: a userport server, or https://TENANT.auth0.com")
	fs.StringVar(&p.ClientID, "client-id", "", "a client allowed the client-credentials grant")
	fs.StringVar(&p.ClientSecret, "client-secret", "", "its secret")
	if _, err := parseCommand(fs, args, stderr, nil, 0); err != nil {
		return err
	}
	if p.URL == "" || p.ClientID == "" || p.ClientSecret == "" {
		return errors.New("give --url, --client-id and --client-secret")
	}
	c, err := client.New(client.Options{URL: p.URL, ClientID: p.ClientID, ClientSecret: p.ClientSecret})
	if err != nil {
		return err
	}
	if _, err := c.Token(ctx); err != nil {
		return fmt.Errorf("the credentials were not saved: %w", err)
	}
	p.URL = c.URL()
	path, err := profile.Save(p)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "logged in to %s as client %s: saved to %s (userport logout removes it)\n", p.URL, p.ClientID, path)
	return err
}

// runLogout implements `userport logout`: it removes the saved profile.
func runLogout(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("logout", "", "remove the profile `userport login` saved")
	if _, err := parseCommand(fs, args, stderr, nil, 0); err != nil {
		return err
	}
	path, removed, err := profile.Remove()
	switch {
	case err != nil:
		return err
	case !removed:
		_, err = fmt.Fprintf(stdout, "no profile to remove (%s does not exist)\n", path)
	default:
		_, err = fmt.Fprintf(stdout, "removed %s\n", path)
	}
	return err
}
