package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
	"github.com/userport/userport/localblob"
	"github.com/userport/userport/vault"
)

// secrets is where a process finds the token signing keys and the key of
// download links: files in the data dir (the embedded default, zero
// configuration), or, in scale mode (PostgreSQL), the database every node
// shares, sealed with the master key every node is given.
type secrets struct {
	dataDir string
	vault   *vault.Vault // nil: the data dir
}

// openSecrets opens where cfg keeps its secrets; store is the opened
// database. In scale mode it needs the master key, and every secret already
// in the database must open with it (those sealed with an older key given
// second are sealed again with the first): a missing, malformed or wrong
// key stops the process here, with a message naming the setting.
func openSecrets(ctx context.Context, cfg *Config, store userport.SecretStore) (*secrets, error) {
	if !cfg.SecretsInStore() {
		return &secrets{dataDir: cfg.DataDir}, nil
	}
	keys, setting, err := cfg.MasterKeys()
	if err != nil {
		return nil, err
	}
	v, err := vault.Open(ctx, store, keys, nil)
	switch {
	case errors.Is(err, vault.ErrUnknownKey):
		return nil, fmt.Errorf("wrong %s: it does not open the secrets in the database (%w; the keys given have the ids %s): "+
			"give every node the master key the database was sealed with", setting, err, strings.Join(keys.IDs(), ", "))
	case errors.Is(err, vault.ErrCorrupt):
		return nil, fmt.Errorf("a secret in the database does not open with %s: %w: restore the secrets table from a backup", setting, err)
	case err != nil:
		return nil, fmt.Errorf("open secrets: %w", err)
	}
	return &secrets{vault: v}, nil
}

// signingKeys opens the token signing keys, creating the first one.
func (s *secrets) signingKeys(ctx context.Context) (*auth.KeySet, error) {
	var keys *auth.KeySet
	var err error
	if s.vault != nil {
		keys, err = auth.LoadOrCreateVaultKeys(ctx, s.vault)
	} else {
		keys, err = auth.LoadOrCreateKeys(s.dataDir)
	}
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	return keys, nil
}

// downloadKey returns the key that signs download links, creating it.
func (s *secrets) downloadKey(ctx context.Context) ([]byte, error) {
	var key []byte
	var err error
	if s.vault != nil {
		key, err = s.vault.LoadOrCreate(ctx, "download-key", func() ([]byte, error) { return localblob.NewKey(), nil })
	} else {
		key, err = localblob.LoadOrCreateKey(filepath.Join(s.dataDir, "download-key"))
	}
	if err != nil {
		return nil, fmt.Errorf("download signing key: %w", err)
	}
	return key, nil
}

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
	sec, err := openSecrets(ctx, cfg, store)
	if err == nil {
		keys, err = sec.signingKeys(ctx)
	}
	if err != nil {
		closeStore()
		return nil, nil, err
	}
	return keys, closeStore, nil
}
