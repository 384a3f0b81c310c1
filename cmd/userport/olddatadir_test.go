package main

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/localblob"
)

// oldDataDirKid is the kid of the signing key in testdata/datadir-0003.tar.gz.
const oldDataDirKid = "_BrPzOSJZ_XrJaRKWFO5ZWNGAL2gHV_F9w3qvb7Nsa8"

// TestOldDataDir opens a data dir written by userport before the secrets
// moved (testdata/datadir-0003.tar.gz: `serve` started and stopped, then
// `seed --users 3`, its database at migration 3): the embedded default
// keeps using its key files unchanged, signs with its key, serves links
// signed with its download key, and migrates the database.
func TestOldDataDir(t *testing.T) {
	dir := t.TempDir()
	testutil.Untar(t, "testdata/datadir-0003.tar.gz", dir)
	downloadKey, err := os.ReadFile(filepath.Join(dir, "download-key"))
	if err != nil {
		t.Fatal(err)
	}
	b := start(t, testConfig(dir), newTestClock())
	if got := b.m.keys.KeyIDs(); !slices.Equal(got, []string{oldDataDirKid}) {
		t.Errorf("keys %q, want the data dir's %s alone", got, oldDataDirKid)
	}
	if kid := kidOf(t, b.token()); kid != oldDataDirKid {
		t.Errorf("tokens signed with %s, want %s", kid, oldDataDirKid)
	}
	var users []map[string]any
	r := b.admin(http.MethodGet, "/users", nil)
	r.wantStatus(t, http.StatusOK)
	r.decode(t, &users)
	if len(users) != 3 {
		t.Errorf("%d users, want the 3 seeded", len(users))
	}
	secrets, err := b.m.store.ListSecrets(t.Context())
	if err != nil || len(secrets) != 0 {
		t.Errorf("ListSecrets = %d, %v: want the secrets table migrated and empty", len(secrets), err)
	}

	// A link signed with the data dir's download key, as before.
	key := "job_old/dev.json.gz"
	if err := os.MkdirAll(filepath.Join(dir, "exports", "job_old"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "exports", key), []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	old, err := localblob.New(filepath.Join(dir, "exports"), b.base, downloadKey, b.clock)
	if err == nil {
		old, err = old.ForTenant("dev")
	}
	if err != nil {
		t.Fatal(err)
	}
	link, err := old.SignedURL(t.Context(), key, 60e9, "")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("a link signed with the data dir's download key: %d, want 200", resp.StatusCode)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "signing-keys", "*"))
	if len(files) != 1 {
		t.Errorf("signing-keys holds %q, want key-000001.pem alone", files)
	}
}

// kidOf returns the kid in a token's header.
func kidOf(t *testing.T, tok string) string {
	t.Helper()
	header, _ := testutil.TokenParts(t, tok)
	kid, _ := header["kid"].(string)
	return kid
}
