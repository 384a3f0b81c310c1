package auth_test

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
	"github.com/userport/userport/internal/testutil"
)

const (
	testIssuer   = "http://127.0.0.1:8080/"
	testAudience = "http://127.0.0.1:8080/api/v2/"
	testTenant   = "dev"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// setup returns an Issuer over a fresh key directory, its clock and the directory.
func setup(t *testing.T) (*auth.Issuer, *testutil.Clock, string) {
	t.Helper()
	dir := t.TempDir()
	ks, err := auth.LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatalf("LoadOrCreateKeys: %v", err)
	}
	clock := testutil.NewClock(t0)
	clients := newFakeClients("c1", "c2")
	return &auth.Issuer{Keys: ks, Issuer: testIssuer, Audience: testAudience, Tenant: testTenant, Clock: clock, Clients: clients}, clock, dir
}

// fakeClients is an auth.ClientFinder over a set of testTenant's client ids.
// When err is set, it is the answer to every lookup.
type fakeClients struct {
	mu    sync.Mutex
	ids   map[string]bool
	err   error
	calls int // lookups made
}

func newFakeClients(ids ...string) *fakeClients {
	f := &fakeClients{ids: map[string]bool{}}
	for _, id := range ids {
		f.ids[id] = true
	}
	return f
}

func (f *fakeClients) FindClient(ctx context.Context, tenant, id string) (*userport.Client, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	if tenant != testTenant || !f.ids[id] {
		return nil, userport.Errorf(userport.ENOTFOUND, "", "The client does not exist.")
	}
	return &userport.Client{Tenant: tenant, ID: id}, nil
}

// remove deletes the client id.
func (f *fakeClients) remove(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.ids, id)
}

// lookups returns how many lookups were made.
func (f *fakeClients) lookups() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// keyFiles returns the PEM files of dir's key set, in name order.
func keyFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "signing-keys", "*.pem"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

// privateKey reads the RSA private key of a key file.
func privateKey(t *testing.T, file string) *rsa.PrivateKey {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("%s: no PEM block", file)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return k.(*rsa.PrivateKey)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func b64JSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b64(data)
}

// handToken builds a compact JWS from header and claims, signed by sign over
// the signing input.
func handToken(t *testing.T, header, claims map[string]any, sign func(input []byte) []byte) string {
	t.Helper()
	input := b64JSON(t, header) + "." + b64JSON(t, claims)
	return input + "." + b64(sign([]byte(input)))
}

// validClaims returns the claims Issue would write at t0 for client "c1".
func validClaims() map[string]any {
	return map[string]any{
		"iss":   testIssuer,
		"sub":   "c1@clients",
		"aud":   testAudience,
		"iat":   t0.Unix(),
		"exp":   t0.Add(24 * time.Hour).Unix(),
		"azp":   "c1",
		"gty":   "client-credentials",
		"scope": "read:users",

		auth.TenantClaim: testTenant,
	}
}

// segments splits a compact token and decodes its header and payload.
func segments(t *testing.T, token string) (header, payload map[string]any, parts []string) {
	t.Helper()
	parts = strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	for i, dst := range []*map[string]any{&header, &payload} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, payload, parts
}
