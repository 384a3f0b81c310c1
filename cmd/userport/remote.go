package main

import (
	"context"
	"fmt"
	"io"

	"github.com/userport/userport/internal/config"
	"github.com/userport/userport/internal/profile"
)

// runLogin implements `userport login`: config.Login checks the
// credentials and saves them, with the server's URL, as the profile.
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
	p, path, err := config.Login(ctx, p)
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
