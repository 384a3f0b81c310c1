package vault_test

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/sqlite"
	"github.com/userport/userport/vault"
)

// newStore opens a SQLite store of t's own.
func newStore(t *testing.T) *sqlite.DB { return testutil.NewEmbedded(t).Store }

// openVault opens a vault over store with the master keys s.
func openVault(t *testing.T, store userport.SecretStore, s string) (*vault.Vault, error) {
	t.Helper()
	return vault.Open(t.Context(), store, ring(t, s), nil)
}

// mustVault is openVault, failing t on error.
func mustVault(t *testing.T, store userport.SecretStore, s string) *vault.Vault {
	t.Helper()
	v, err := openVault(t, store, s)
	if err != nil {
		t.Fatalf("vault.Open: %v", err)
	}
	return v
}

func TestLoadOrCreate(t *testing.T) {
	store := newStore(t)
	v := mustVault(t, store, keyA)
	calls := 0
	create := func(value string) func() ([]byte, error) {
		return func() ([]byte, error) { calls++; return []byte(value), nil }
	}
	first, err := v.LoadOrCreate(t.Context(), "download-key", create("first"))
	if err != nil || string(first) != "first" {
		t.Fatalf("LoadOrCreate = %q, %v", first, err)
	}
	again, err := mustVault(t, store, keyA).LoadOrCreate(t.Context(), "download-key", create("second"))
	if err != nil || string(again) != "first" || calls != 1 {
		t.Errorf("second LoadOrCreate = %q, %v after %d creations; want first after 1", again, err, calls)
	}
	// The store holds the value sealed, never in plain text.
	all, _ := store.ListSecrets(t.Context())
	if len(all) != 1 || bytes.Contains(all[0].Sealed, []byte("first")) {
		t.Errorf("stored %d secrets, %q", len(all), all[0].Sealed)
	}
	failed := errors.New("no entropy")
	if _, err := v.LoadOrCreate(t.Context(), "other", func() ([]byte, error) { return nil, failed }); !errors.Is(err, failed) {
		t.Errorf("LoadOrCreate with a failing create: %v", err)
	}
}

// TestLoadOrCreateConcurrent: vaults created at once on an empty store (nodes
// starting together) all end up with one value.
func TestLoadOrCreateConcurrent(t *testing.T) {
	store := newStore(t)
	const n = 8
	got := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			v, err := vault.Open(t.Context(), store, ring(t, keyA), nil)
			if err == nil {
				got[i], err = v.LoadOrCreate(t.Context(), "download-key", func() ([]byte, error) { return fmt.Appendf(nil, "node %d", i), nil })
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || !bytes.Equal(got[i], got[0]) {
			t.Errorf("node %d: %q, %v; node 0 has %q", i, got[i], errs[i], got[0])
		}
	}
}

func TestOpenChecksEverySecret(t *testing.T) {
	store := newStore(t)
	v := mustVault(t, store, keyA)
	if err := v.Add(t.Context(), "signing-key/000001", []byte("k1")); err != nil {
		t.Fatal(err)
	}
	if _, err := openVault(t, store, keyB); !errors.Is(err, vault.ErrUnknownKey) {
		t.Errorf("Open with another master key: %v, want ErrUnknownKey", err)
	}
	all, _ := store.ListSecrets(t.Context())
	all[0].Sealed[len(all[0].Sealed)-1] ^= 1
	if err := store.UpdateSecret(t.Context(), all[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := openVault(t, store, keyA); !errors.Is(err, vault.ErrCorrupt) {
		t.Errorf("Open over an altered secret: %v, want ErrCorrupt", err)
	}
}

// TestRotateMasterKey: a vault opened with the new key first and the old
// one second seals every secret again with the new key, after which the new
// key alone opens them and the old one no longer does.
func TestRotateMasterKey(t *testing.T) {
	store := newStore(t)
	old := mustVault(t, store, keyA)
	for _, name := range []string{"download-key", "signing-key/000001"} {
		if err := old.Add(t.Context(), name, []byte("value of "+name)); err != nil {
			t.Fatal(err)
		}
	}
	mustVault(t, store, keyB+","+keyA)
	v := mustVault(t, store, keyB)
	all, err := v.List(t.Context(), "")
	if err != nil || len(all) != 2 || string(all[1].Value) != "value of signing-key/000001" {
		t.Fatalf("List after the rotation = %+v, %v", all, err)
	}
	if _, err := openVault(t, store, keyA); !errors.Is(err, vault.ErrUnknownKey) {
		t.Errorf("Open with the old key after the rotation: %v, want ErrUnknownKey", err)
	}
}

func TestListAndDelete(t *testing.T) {
	v := mustVault(t, newStore(t), keyA)
	for _, name := range []string{"signing-key/000002", "download-key", "signing-key/000001"} {
		if err := v.Add(t.Context(), name, []byte(name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := v.Add(t.Context(), "download-key", []byte("again")); userport.ErrorCode(err) != userport.ECONFLICT {
		t.Errorf("Add of a taken name: %v, want ECONFLICT", err)
	}
	if err := v.Delete(t.Context(), "signing-key/000001"); err != nil {
		t.Fatal(err)
	}
	got, err := v.List(t.Context(), "signing-key/")
	if err != nil || len(got) != 1 || got[0].Name != "signing-key/000002" || string(got[0].Value) != "signing-key/000002" || got[0].CreatedAt.IsZero() {
		t.Errorf("List(signing-key/) = %+v, %v", got, err)
	}
}
