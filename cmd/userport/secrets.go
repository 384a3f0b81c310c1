package main

import (
	"context"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
	"github.com/userport/userport/internal/secrets"
)

// openKeySet opens the signing keys for a command that does not serve
// (token, keys): in scale mode through the database, which close closes.
func openKeySet(ctx context.Context, cfg *Config) (keys *auth.KeySet, closeStore func(), err error) {
	var store userport.SecretStore
	closeStore = func() {}
	if cfg.SecretsInStore() {
		db, err := openStore(ctx, cfg)
		if err != nil {
			return nil, nil, err
		}
		store, closeStore = db, func() { _ = db.Close() }
	}
	sec, err := secrets.Open(ctx, cfg, store)
	if err == nil {
		keys, err = sec.SigningKeys(ctx)
	}
	if err != nil {
		closeStore()
		return nil, nil, err
	}
	return keys, closeStore, nil
}
