package auth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/userport/userport/auth"
)

func TestKeysPersist(t *testing.T) {
	dir := t.TempDir()
	first, err := auth.LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	second, err := auth.LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if first.SigningKeyID() != second.SigningKeyID() || second.Len() != 1 {
		t.Errorf("second load: kid %s (%d keys), first %s", second.SigningKeyID(), second.Len(), first.SigningKeyID())
	}

	files := keyFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("key files = %q, want one", files)
	}
	assertMode(t, files[0], 0o600)
	assertMode(t, filepath.Join(dir, "signing-keys"), os.ModeDir|0o700)
	if n := privateKey(t, files[0]).N.BitLen(); n != 2048 {
		t.Errorf("key has %d bits, want 2048", n)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "signing-keys"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the key (no temporary file)", len(entries))
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != want {
		t.Errorf("%s: mode %v, want %v", path, fi.Mode(), want)
	}
}

// jwk is a JWKS entry, with the private members that must never appear.
type jwk struct {
	Kty, Use, Alg, Kid, N, E string
	D, P, Q, DP, DQ, QI      string
}

func TestJWKS(t *testing.T) {
	iss, _, dir := setup(t)
	if _, err := iss.Keys.Rotate(t.Context()); err != nil {
		t.Fatal(err)
	}
	data, err := iss.Keys.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	var set struct{ Keys []jwk }
	if err := json.Unmarshal(data, &set); err != nil {
		t.Fatalf("JWKS %s: %v", data, err)
	}
	files := keyFiles(t, dir)
	if len(set.Keys) != 2 || len(files) != 2 {
		t.Fatalf("JWKS has %d keys, %d files, want 2", len(set.Keys), len(files))
	}
	for i, k := range set.Keys {
		pub := privateKey(t, files[i]).PublicKey
		if k.Kty != "RSA" || k.Use != "sig" || k.Alg != "RS256" {
			t.Errorf("key %d: kty=%q use=%q alg=%q", i, k.Kty, k.Use, k.Alg)
		}
		if k.N != b64(pub.N.Bytes()) || k.E != b64(big.NewInt(int64(pub.E)).Bytes()) {
			t.Errorf("key %d: n/e do not match %s", i, files[i])
		}
		if k.Kid != thumbprint(k.E, k.N) {
			t.Errorf("key %d: kid %q, want RFC 7638 thumbprint %q", i, k.Kid, thumbprint(k.E, k.N))
		}
		if k.D+k.P+k.Q+k.DP+k.DQ+k.QI != "" {
			t.Errorf("key %d: private members published", i)
		}
	}
	if !slices.Equal([]string{set.Keys[0].Kid, set.Keys[1].Kid}, iss.Keys.KeyIDs()) {
		t.Errorf("JWKS kids differ from KeyIDs %q", iss.Keys.KeyIDs())
	}
	for _, f := range []string{"\"d\"", "\"p\"", "\"q\""} {
		if strings.Contains(string(data), f) {
			t.Errorf("JWKS contains %s: %s", f, data)
		}
	}
}

// thumbprint computes the RFC 7638 SHA-256 thumbprint of an RSA JWK by hand.
func thumbprint(e, n string) string {
	sum := sha256.Sum256([]byte(`{"e":"` + e + `","kty":"RSA","n":"` + n + `"}`))
	return b64(sum[:])
}

func TestReloadSeesKeysOfAnotherProcess(t *testing.T) {
	dir := t.TempDir()
	a, err := auth.LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := auth.LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Rotate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if b.Len() != 1 {
		t.Fatalf("b has %d keys before Reload", b.Len())
	}
	if err := b.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.KeyIDs(), b.KeyIDs()) || b.SigningKeyID() != a.SigningKeyID() {
		t.Errorf("after Reload b has %q, a has %q", b.KeyIDs(), a.KeyIDs())
	}
}

func TestLoadKeyFiles(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	big, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8 := func(k any) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(big)})
	pub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: must(x509.MarshalPKIXPublicKey(&big.PublicKey))})
	tests := []struct {
		name  string
		files map[string][]byte
		ok    bool
		keys  int
	}{
		{"pkcs1 accepted", map[string][]byte{"mine.pem": pkcs1}, true, 1},
		{"pkcs1 and pkcs8, other files ignored", map[string][]byte{"a.pem": pkcs1, "b.pem": pkcs8(must(rsa.GenerateKey(rand.Reader, 2048))), "notes.txt": []byte("x")}, true, 2},
		{"not PEM", map[string][]byte{"a.pem": []byte("garbage")}, false, 0},
		{"public key only", map[string][]byte{"a.pem": pub}, false, 0},
		{"1024 bits", map[string][]byte{"a.pem": pkcs8(small)}, false, 0},
		{"same key twice", map[string][]byte{"a.pem": pkcs1, "b.pem": pkcs8(big)}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			keyDir := filepath.Join(dir, "signing-keys")
			if err := os.Mkdir(keyDir, 0o700); err != nil {
				t.Fatal(err)
			}
			for name, data := range tt.files {
				if err := os.WriteFile(filepath.Join(keyDir, name), data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			ks, err := auth.LoadOrCreateKeys(dir)
			if !tt.ok {
				if err == nil {
					t.Fatalf("loaded %d keys, want an error", ks.Len())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ks.Len() != tt.keys {
				t.Errorf("loaded %d keys, want %d", ks.Len(), tt.keys)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
