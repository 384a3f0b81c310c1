package auth_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/sqlite"
	"github.com/userport/userport/vault"
)

// testMasterKey is the master key of the vault tests.
const testMasterKey = "oaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaE="

// sharedStore is a SQLite store standing for the database nodes share.
func sharedStore(t *testing.T) *sqlite.DB { return testutil.NewEmbedded(t).Store }

// vaultNode is one node's issuer over the keys kept in store, as a node
// that just started would open them.
func vaultNode(t *testing.T, store userport.SecretStore) *auth.Issuer {
	t.Helper()
	keys, err := vault.ParseKeyring(testMasterKey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.Open(t.Context(), store, keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := auth.LoadOrCreateVaultKeys(t.Context(), v)
	if err != nil {
		t.Fatalf("LoadOrCreateVaultKeys: %v", err)
	}
	return &auth.Issuer{Keys: ks, Issuer: testIssuer, Audience: testAudience, Tenant: testTenant, Clients: newFakeClients("c1")}
}

// issue issues a token of c1, failing t on error.
func issue(t *testing.T, iss *auth.Issuer) string {
	t.Helper()
	tok, _, err := iss.Issue("c1", []string{"read:users"})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestVaultKeysFirstStart: nodes that start at once on an empty database
// end up with one key, kept sealed.
func TestVaultKeysFirstStart(t *testing.T) {
	store := sharedStore(t)
	const n = 4
	nodes := make([]*auth.Issuer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { nodes[i] = vaultNode(t, store) })
	}
	wg.Wait()
	for i, node := range nodes {
		if node == nil {
			t.FailNow()
		}
		if !slices.Equal(node.Keys.KeyIDs(), nodes[0].Keys.KeyIDs()) || node.Keys.Len() != 1 {
			t.Errorf("node %d has keys %q, node 0 %q", i, node.Keys.KeyIDs(), nodes[0].Keys.KeyIDs())
		}
	}
	all, err := store.ListSecrets(t.Context())
	if err != nil || len(all) != 1 || all[0].Name != "signing-key/000001" || bytes.Contains(all[0].Sealed, []byte("PRIVATE KEY")) {
		t.Errorf("the store holds %d secrets (%v): want signing-key/000001, sealed", len(all), err)
	}
	if _, err := nodes[1].Verify(t.Context(), issue(t, nodes[0])); err != nil {
		t.Errorf("node 1 refuses a token of node 0: %v", err)
	}
}

// TestVaultKeysRotationReachesOtherNodes: a key that node A adds is used
// by node B as soon as a token names it (B reads the keys again for the
// unknown kid), and B's JWKS lists it then.
func TestVaultKeysRotationReachesOtherNodes(t *testing.T) {
	store := sharedStore(t)
	a, b := vaultNode(t, store), vaultNode(t, store)
	old := a.Keys.SigningKeyID()
	kid, err := a.Keys.Rotate(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if kid == old || a.Keys.SigningKeyID() != kid {
		t.Fatalf("Rotate returned %s; A signs with %s, signed with %s before", kid, a.Keys.SigningKeyID(), old)
	}
	if _, err := b.Verify(t.Context(), issue(t, a)); err != nil {
		t.Fatalf("B refuses A's token of the new key: %v", err)
	}
	if got := jwksKids(t, b.Keys); !slices.Equal(got, []string{old, kid}) || b.Keys.SigningKeyID() != kid {
		t.Errorf("B's JWKS lists %q and signs with %s; want %q and %s", got, b.Keys.SigningKeyID(), []string{old, kid}, kid)
	}
}

// TestUnknownKidReloadsAtMostEverySecond: a token naming a made-up kid makes
// a node read its keys; another key added within UnknownKidInterval is read
// only once that has passed, so made-up kids cannot hammer the database.
func TestUnknownKidReloadsAtMostEverySecond(t *testing.T) {
	store := sharedStore(t)
	a, b := vaultNode(t, store), vaultNode(t, store)
	clock := testutil.NewClock(time.Now())
	b.Keys.Clock = clock
	forged := issue(t, a)
	h, _, parts := segments(t, forged)
	h["kid"] = "made-up"
	if _, err := b.Verify(t.Context(), b64JSON(t, h)+"."+parts[1]+"."+parts[2]); err == nil {
		t.Fatal("B accepts a token with a made-up kid")
	}
	if _, err := a.Keys.Rotate(t.Context()); err != nil {
		t.Fatal(err)
	}
	tok := issue(t, a)
	if _, err := b.Verify(t.Context(), tok); err == nil {
		t.Fatal("B read its keys again within a second of the last read for an unknown kid")
	}
	clock.Advance(auth.UnknownKidInterval)
	if _, err := b.Verify(t.Context(), tok); err != nil {
		t.Fatalf("B refuses A's new key a second later: %v", err)
	}
}

// TestRefresh: a node reads the keys periodically, so it signs with a key
// another node added without being shown a token of it.
func TestRefresh(t *testing.T) {
	store := sharedStore(t)
	a, b := vaultNode(t, store), vaultNode(t, store)
	errs := make(chan error, 1)
	go b.Keys.Refresh(t.Context(), 10*time.Millisecond, func(err error) {
		select {
		case errs <- err:
		default:
		}
	})
	kid, err := a.Keys.Rotate(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 10*time.Second, "B to sign with "+kid+" after the rotation", func() (string, bool) {
		got := b.Keys.SigningKeyID()
		return "B signs with " + got, got == kid
	})
	select {
	case err := <-errs:
		t.Errorf("Refresh: %v", err)
	default:
	}
}

// TestRetire: a retired key verifies no token, on any node; the signing key
// cannot be retired, nor a kid that does not exist.
func TestRetire(t *testing.T) {
	store := sharedStore(t)
	a, b := vaultNode(t, store), vaultNode(t, store)
	old := a.Keys.SigningKeyID()
	oldToken := issue(t, a)
	if err := a.Keys.Retire(t.Context(), old); err == nil {
		t.Fatal("Retire of the signing key succeeded")
	}
	if err := a.Keys.Retire(t.Context(), "made-up"); err == nil {
		t.Fatal("Retire of an unknown kid succeeded")
	}
	if _, err := a.Keys.Rotate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := a.Keys.Retire(t.Context(), old); err != nil {
		t.Fatalf("Retire: %v", err)
	}
	if _, err := a.Verify(t.Context(), oldToken); err == nil {
		t.Error("A accepts a token of the retired key")
	}
	if err := b.Keys.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Verify(t.Context(), oldToken); err == nil || slices.Contains(b.Keys.KeyIDs(), old) {
		t.Errorf("B still has the retired key: %q", b.Keys.KeyIDs())
	}
	infos := a.Keys.Keys()
	if len(infos) != 1 || !infos[0].Signs || infos[0].Name != "signing-key/000002" || infos[0].CreatedAt.IsZero() {
		t.Errorf("Keys = %+v, want signing-key/000002 alone, signing", infos)
	}
}

// TestRetireFile: in the data dir, retiring a key deletes its file.
func TestRetireFile(t *testing.T) {
	iss, _, dir := setup(t)
	old := iss.Keys.SigningKeyID()
	if _, err := iss.Keys.Rotate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := iss.Keys.Retire(t.Context(), old); err != nil {
		t.Fatal(err)
	}
	if files := keyFiles(t, dir); len(files) != 1 || filepath.Base(files[0]) != "key-000002.pem" {
		t.Errorf("key files after Retire: %q, want key-000002.pem", files)
	}
}

// TestReloadKeepsKeysWhenNoneLeft: keys deleted behind the server's back
// (every file removed) are an error of Reload, and the keys read before
// keep signing and verifying.
func TestReloadKeepsKeysWhenNoneLeft(t *testing.T) {
	iss, _, dir := setup(t)
	kid := iss.Keys.SigningKeyID()
	for _, f := range keyFiles(t, dir) {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := iss.Keys.Reload(t.Context()); err == nil {
		t.Fatal("Reload of a directory without keys succeeded")
	}
	if iss.Keys.SigningKeyID() != kid {
		t.Errorf("signing key %s, want the one read before, %s", iss.Keys.SigningKeyID(), kid)
	}
	tok, _, err := iss.Issue("c1", nil)
	if err == nil {
		_, err = iss.Verify(t.Context(), tok)
	}
	if err != nil {
		t.Errorf("issue and verify with the keys read before: %v", err)
	}
}
