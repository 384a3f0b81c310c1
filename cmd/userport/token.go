package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
)

// runToken implements `userport token`: it prints an access token signed with
// the signing key of the server started with the same flags (the data dir's,
// or in scale mode the database's).
func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	cfg.TokenFlags(fs)
	scopes := fs.String("scopes", strings.Join(auth.AllScopes(), " "), "space-separated scopes of the token")
	clientID := fs.String("client-id", "", "the client the token is for; default: the admin client")
	if err := parseFlags(fs, args, stderr, &cfg); err != nil {
		return err
	}
	cfg.PublicURL = cfg.TokenServerURL(fs)
	want := auth.ParseScope(*scopes)
	for _, s := range want {
		if !auth.KnownScope(s) {
			return fmt.Errorf("unknown scope %q (known: %s)", s, strings.Join(auth.AllScopes(), " "))
		}
	}
	keys, closeStore, err := openKeySet(ctx, &cfg)
	if err != nil {
		return err
	}
	defer closeStore()
	id := *clientID
	if id == "" {
		if id = cfg.AdminClient(); id == "" {
			return fmt.Errorf("no admin client in %s: start `userport serve` once (it writes %s), "+
				"set USERPORT_ADMIN_CLIENT_ID, or pass --client-id (tokens of a client that does not exist are refused)",
				cfg.DataDir, filepath.Base(auth.AdminFilePath(cfg.DataDir, cfg.Tenant)))
		}
	}
	tok, _, err := newIssuer(&cfg, keys, userport.SystemClock{}).Issue(id, want)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, tok)
	return err
}
