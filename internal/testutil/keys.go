package testutil

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// SharedKeyPEM returns the signing key (PKCS #8, PEM) that the servers of
// every test of a package share: generating a 2048-bit RSA key takes a
// noticeable part of a second.
var SharedKeyPEM = sync.OnceValue(func() []byte {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
})

// InstallKey writes the shared signing key into dataDir's signing-keys/, as
// the first key of the data dir.
func InstallKey(t testing.TB, dataDir string) {
	t.Helper()
	dir := filepath.Join(dataDir, "signing-keys")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key-000001.pem"), SharedKeyPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
}
