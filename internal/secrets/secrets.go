// Package secrets is where a process finds the token signing keys and the
// key of download links: files in the data dir (the embedded default, zero
// configuration), or, in scale mode (PostgreSQL), the database every node
// shares, sealed with the master key every node is given (vault).
package secrets

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
	"github.com/userport/userport/internal/config"
	"github.com/userport/userport/localblob"
	"github.com/userport/userport/vault"
)

// Secrets is where the secrets of one configuration are kept.
type Secrets struct {
	dataDir string
	vault   *vault.Vault // nil: the data dir
}

// Open opens where cfg keeps its secrets; store is the opened database
// (unused with the embedded default). In scale mode it needs the master
// key (Sealed).
func Open(ctx context.Context, cfg *config.Config, store userport.SecretStore) (*Secrets, error) {
	if !cfg.SecretsInStore() {
		return &Secrets{dataDir: cfg.DataDir}, nil
	}
	keys, setting, err := cfg.MasterKeys()
	if err != nil {
		return nil, err
	}
	return Sealed(ctx, store, keys, setting)
}

// Sealed opens the secrets sealed in store with keys, the master keys of
// setting. Every secret already there must open with them (those sealed
// with an older key given second are sealed again with the first): a wrong
// key stops the process here, with a message naming the setting.
func Sealed(ctx context.Context, store userport.SecretStore, keys *vault.Keyring, setting string) (*Secrets, error) {
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
	return &Secrets{vault: v}, nil
}

// SigningKeys opens the token signing keys, creating the first one.
func (s *Secrets) SigningKeys(ctx context.Context) (*auth.KeySet, error) {
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

// DownloadKey returns the key that signs download links, creating it.
func (s *Secrets) DownloadKey(ctx context.Context) ([]byte, error) {
	key, err := s.key(ctx, "download-key")
	if err != nil {
		return nil, fmt.Errorf("download signing key: %w", err)
	}
	return key, nil
}

// CursorKey returns the key that signs the cursors of exports
// (userport.Cursor), creating it. Every node must share it: a cursor one
// node wrote is checked by whichever node the next export reaches.
func (s *Secrets) CursorKey(ctx context.Context) ([]byte, error) {
	key, err := s.key(ctx, "cursor-key")
	if err != nil {
		return nil, fmt.Errorf("cursor signing key: %w", err)
	}
	return key, nil
}

// WebhookKey returns the key that seals the webhooks' secrets in the
// database (webhooks.Sealer), creating it. Every node must share it.
func (s *Secrets) WebhookKey(ctx context.Context) ([]byte, error) {
	key, err := s.key(ctx, "webhook-key")
	if err != nil {
		return nil, fmt.Errorf("webhook sealing key: %w", err)
	}
	return key, nil
}

// key returns the random key of that name (a file of the data dir, or a
// secret of the vault), creating it.
func (s *Secrets) key(ctx context.Context, name string) ([]byte, error) {
	if s.vault != nil {
		return s.vault.LoadOrCreate(ctx, name, func() ([]byte, error) { return localblob.NewKey(), nil })
	}
	return localblob.LoadOrCreateKey(filepath.Join(s.dataDir, name))
}
