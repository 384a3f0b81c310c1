package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
	"github.com/userport/userport/localblob"
	"github.com/userport/userport/vault"
)

// Master key settings (scale mode).
const (
	envMasterKey     = "USERPORT_MASTER_KEY"
	envMasterKeyFile = "USERPORT_MASTER_KEY_FILE"
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
	if !cfg.secretsInStore() {
		return &secrets{dataDir: cfg.DataDir}, nil
	}
	keys, setting, err := cfg.masterKeys()
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

// secretsInStore reports whether the configuration keeps its secrets in the
// database: with PostgreSQL (scale mode), where several nodes share them.
func (c *Config) secretsInStore() bool {
	kind, _, err := c.database()
	return err == nil && kind == dbPostgres
}

// checkMasterKey refuses a master key where it would seal nothing: the
// embedded default keeps its keys in the data dir, and a master key set for
// it would suggest a protection that is not there.
func (c *Config) checkMasterKey() error {
	if c.MasterKey != "" && c.MasterKeyFile != "" {
		return fmt.Errorf("set %s or %s, not both", envMasterKey, envMasterKeyFile)
	}
	if setting := c.masterKeySetting(); setting != "" && !c.secretsInStore() {
		return fmt.Errorf("%s is set, but the embedded store keeps its keys in the data dir, unsealed: unset it, or use a postgres:// --database-url", setting)
	}
	return nil
}

// masterKeySetting names the master key setting that is set, or "".
func (c *Config) masterKeySetting() string {
	switch {
	case c.MasterKey != "":
		return envMasterKey
	case c.MasterKeyFile != "":
		return envMasterKeyFile
	}
	return ""
}

// masterKeys reads the master keys from USERPORT_MASTER_KEY or from the
// file USERPORT_MASTER_KEY_FILE names, and the setting they came from.
func (c *Config) masterKeys() (*vault.Keyring, string, error) {
	setting, value := c.masterKeySetting(), c.MasterKey
	switch setting {
	case "":
		return nil, "", fmt.Errorf("scale mode (a postgres:// --database-url) needs %s or %s: the key that seals the signing keys "+
			"kept in the database, the same on every node; generate one with `openssl rand -base64 32` or `userport keys new-master-key`",
			envMasterKey, envMasterKeyFile)
	case envMasterKeyFile:
		b, err := os.ReadFile(c.MasterKeyFile)
		if err != nil {
			return nil, setting, fmt.Errorf("%s: %w", setting, err)
		}
		value = string(b)
	}
	keys, err := vault.ParseKeyring(value)
	if err != nil {
		return nil, setting, fmt.Errorf("invalid %s: %w", setting, err)
	}
	return keys, setting, nil
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
	if cfg.secretsInStore() {
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
