package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/userport/userport/internal/help"
	"github.com/userport/userport/internal/report"
	"github.com/userport/userport/vault"
)

const keysUsage = `Usage:
  userport keys list   [flags]             list the token signing keys (the last one signs)
  userport keys rotate [flags]             add a signing key; servers sign with it within USERPORT_KEY_REFRESH (10s)
  userport keys retire --kid KID [flags]   remove a key that no longer signs, once its tokens have expired
  userport keys new-master-key             print a new random master key (base64) for USERPORT_MASTER_KEY

The keys are those of the data dir, or in scale mode (--database-url postgres://...)
those sealed in the database, which need USERPORT_MASTER_KEY or USERPORT_MASTER_KEY_FILE.
`

// runKeys implements `userport keys`: the token signing keys where the
// server started with the same flags keeps them, and new master keys.
func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || help.AsksHelp(args[:1]) {
		fmt.Fprint(stderr, keysUsage)
		return flag.ErrHelp
	}
	sub := args[0]
	switch sub {
	case "new-master-key":
		_, err := fmt.Fprintln(stdout, vault.NewMasterKey())
		return err
	case "list", "rotate", "retire":
	default:
		fmt.Fprint(stderr, keysUsage)
		return fmt.Errorf("unknown keys command %q", sub)
	}
	var cfg Config
	fs := flag.NewFlagSet("keys "+sub, flag.ContinueOnError)
	cfg.StorageFlags(fs)
	kid := fs.String("kid", "", "retire: the kid of the key to remove")
	if err := parseFlags(fs, args[1:], stderr, &cfg); err != nil {
		return err
	}
	if (sub == "retire") != (*kid != "") {
		return errors.New("--kid goes with `userport keys retire`, and only there")
	}
	keys, closeStore, err := openKeySet(ctx, &cfg)
	if err != nil {
		return err
	}
	defer closeStore()
	switch sub {
	case "rotate":
		id, err := keys.Rotate(ctx)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, id)
		return err
	case "retire":
		if err := keys.Retire(ctx, *kid); err != nil {
			return err
		}
	}
	return report.Keys(stdout, keys.Keys())
}
