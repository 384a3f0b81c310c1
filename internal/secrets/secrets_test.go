package secrets_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/userport/userport/internal/config"
	"github.com/userport/userport/internal/secrets"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/vault"
)

// read opens secrets and returns the kids of their signing keys and their
// download key and cursor key (which differ), end to end, created when
// absent.
func read(t *testing.T, open func() (*secrets.Secrets, error)) (kids []string, keys []byte) {
	t.Helper()
	s, err := open()
	if err != nil {
		t.Fatal(err)
	}
	ks, err := s.SigningKeys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	key, err := s.DownloadKey(t.Context())
	if err != nil || len(key) == 0 {
		t.Fatalf("download key %x: %v", key, err)
	}
	cursor, err := s.CursorKey(t.Context())
	if err != nil || len(cursor) == 0 || bytes.Equal(cursor, key) {
		t.Fatalf("cursor key %x (download key %x): %v", cursor, key, err)
	}
	hook, err := s.WebhookKey(t.Context())
	if err != nil || len(hook) == 0 || bytes.Equal(hook, key) || bytes.Equal(hook, cursor) {
		t.Fatalf("webhook key %x: %v", hook, err)
	}
	return ks.KeyIDs(), append(append(key, cursor...), hook...)
}

// TestDataDir: the embedded default keeps its keys as files in the data
// dir, created once and read back after.
func TestDataDir(t *testing.T) {
	dir := t.TempDir()
	cfg := &config.Config{DataDir: dir}
	open := func() (*secrets.Secrets, error) { return secrets.Open(t.Context(), cfg, nil) }
	kids, key := read(t, open)
	kids2, key2 := read(t, open)
	if len(kids) != 1 || !slices.Equal(kids, kids2) || !bytes.Equal(key, key2) {
		t.Errorf("kids %q then %q, the same download key %v: want one key of each, read back", kids, kids2, bytes.Equal(key, key2))
	}
	for _, name := range []string{"download-key", "cursor-key", "signing-keys", "webhook-key"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
}

// TestSealed: sealed secrets open with the master key they were sealed
// with, and a wrong key is refused with a message naming its setting.
func TestSealed(t *testing.T) {
	e := testutil.NewEmbedded(t)
	right, err := vault.ParseKeyring(vault.NewMasterKey())
	if err != nil {
		t.Fatal(err)
	}
	open := func() (*secrets.Secrets, error) {
		return secrets.Sealed(t.Context(), e.Store, right, config.EnvMasterKey)
	}
	kids, key := read(t, open)
	kids2, key2 := read(t, open)
	if len(kids) != 1 || !slices.Equal(kids, kids2) || !bytes.Equal(key, key2) {
		t.Error("the sealed keys read back differ")
	}
	wrong, _ := vault.ParseKeyring(vault.NewMasterKey())
	_, err = secrets.Sealed(t.Context(), e.Store, wrong, config.EnvMasterKeyFile)
	if err == nil || !strings.HasPrefix(err.Error(), "wrong USERPORT_MASTER_KEY_FILE: it does not open the secrets in the database") {
		t.Errorf("a wrong key: %v", err)
	}
}
