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

// TestDataDir: the embedded default keeps its keys as files in the data
// dir, created once and read back after.
func TestDataDir(t *testing.T) {
	dir := t.TempDir()
	cfg := &config.Config{DataDir: dir}
	var kids []string
	var keys [][]byte
	for range 2 {
		s, err := secrets.Open(t.Context(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		ks, err := s.SigningKeys(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		key, err := s.DownloadKey(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		kids, keys = append(kids, ks.KeyIDs()...), append(keys, key)
	}
	if len(kids) != 2 || kids[0] != kids[1] || !bytes.Equal(keys[0], keys[1]) || len(keys[0]) == 0 {
		t.Errorf("kids %q, download keys equal %v: want one key of each, read back", kids, bytes.Equal(keys[0], keys[1]))
	}
	for _, name := range []string{"download-key", "signing-keys"} {
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
	s, err := secrets.Sealed(t.Context(), e.Store, right, config.EnvMasterKey)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := s.SigningKeys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	key, err := s.DownloadKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	again, err := secrets.Sealed(t.Context(), e.Store, right, config.EnvMasterKey)
	if err != nil {
		t.Fatal(err)
	}
	ks2, _ := again.SigningKeys(t.Context())
	key2, _ := again.DownloadKey(t.Context())
	if !slices.Equal(ks.KeyIDs(), ks2.KeyIDs()) || !bytes.Equal(key, key2) {
		t.Error("the sealed keys read back differ")
	}
	wrong, _ := vault.ParseKeyring(vault.NewMasterKey())
	_, err = secrets.Sealed(t.Context(), e.Store, wrong, config.EnvMasterKeyFile)
	if err == nil || !strings.HasPrefix(err.Error(), "wrong USERPORT_MASTER_KEY_FILE: it does not open the secrets in the database") {
		t.Errorf("a wrong key: %v", err)
	}
}
