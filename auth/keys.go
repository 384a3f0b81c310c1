package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

const (
	keyBits   = 2048           // size of generated keys, and the minimum accepted
	keyDir    = "signing-keys" // under the data directory
	keyPrefix = "key-"         // generated files are key-000001.pem, key-000002.pem, ...
	keySuffix = ".pem"
)

// KeySet holds the RSA keys that sign and verify access tokens.
//
// On disk the keys are PEM files in <dir>/signing-keys, ordered by file name:
// the last one signs new tokens, all of them verify tokens and are published
// in the JWKS. Rotate adds a file that sorts last; an operator retires a key
// by deleting its file (after the longest token lifetime) and restarting or
// calling Reload. A KeySet is safe for concurrent use.
type KeySet struct {
	dir string

	mu   sync.RWMutex
	keys []signingKey // in file name order; the last one signs
}

// signingKey is one RSA key pair as JWKs carrying kid, alg=RS256 and use=sig.
type signingKey struct {
	file    string
	kid     string
	private jwk.Key
	public  jwk.Key
}

// LoadOrCreateKeys loads the signing keys of <dir>/signing-keys/*.pem,
// creating the directory (mode 0700) and a first 2048-bit key (mode 0600)
// when there is none.
func LoadOrCreateKeys(dir string) (*KeySet, error) {
	ks := &KeySet{dir: filepath.Join(dir, keyDir)}
	if err := os.MkdirAll(ks.dir, 0o700); err != nil {
		return nil, fmt.Errorf("create key directory: %w", err)
	}
	if err := ks.Reload(); err != nil {
		return nil, err
	}
	if ks.Len() > 0 {
		return ks, nil
	}
	if err := ks.Rotate(); err != nil {
		return nil, err
	}
	return ks, nil
}

// Reload reads the key files again, so that a key added or removed by another
// process (or an operator) is taken into account.
func (ks *KeySet) Reload() error {
	keys, err := readKeys(ks.dir)
	if err != nil {
		return err
	}
	ks.mu.Lock()
	ks.keys = keys
	ks.mu.Unlock()
	return nil
}

// Rotate generates a new key, stores it and makes it the signing key. The
// previous keys stay for verification and in the JWKS.
func (ks *KeySet) Rotate() error {
	priv, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return fmt.Errorf("generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return fmt.Errorf("encode signing key: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := storeNewKey(ks.dir, data); err != nil {
		return err
	}
	return ks.Reload()
}

// Len returns the number of keys.
func (ks *KeySet) Len() int {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return len(ks.keys)
}

// SigningKeyID returns the kid of the key that signs new tokens.
func (ks *KeySet) SigningKeyID() string {
	return ks.signer().kid
}

// KeyIDs returns the kids of every key, the signing key last.
func (ks *KeySet) KeyIDs() []string {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	ids := make([]string, len(ks.keys))
	for i, k := range ks.keys {
		ids[i] = k.kid
	}
	return ids
}

// JWKS returns the public keys as a JSON Web Key Set ({"keys": [...]}), each
// with kty, use=sig, alg=RS256, kid, n and e, for GET /.well-known/jwks.json.
func (ks *KeySet) JWKS() ([]byte, error) {
	set := jwk.NewSet()
	ks.mu.RLock()
	for _, k := range ks.keys {
		if err := set.AddKey(k.public); err != nil {
			ks.mu.RUnlock()
			return nil, fmt.Errorf("build jwks: %w", err)
		}
	}
	ks.mu.RUnlock()
	data, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("encode jwks: %w", err)
	}
	return data, nil
}

// signer returns the newest key. A KeySet made by LoadOrCreateKeys always has one.
func (ks *KeySet) signer() signingKey {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return ks.keys[len(ks.keys)-1]
}

// publicKey returns the public key with the given kid.
func (ks *KeySet) publicKey(kid string) (jwk.Key, bool) {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	for _, k := range ks.keys {
		if k.kid == kid {
			return k.public, true
		}
	}
	return nil, false
}

// readKeys parses every *.pem file of dir, in file name order.
func readKeys(dir string) ([]signingKey, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*"+keySuffix))
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	slices.Sort(files)
	keys := make([]signingKey, 0, len(files))
	for _, file := range files {
		k, err := readKey(file)
		if err != nil {
			return nil, err
		}
		if i := slices.IndexFunc(keys, func(o signingKey) bool { return o.kid == k.kid }); i >= 0 {
			return nil, fmt.Errorf("signing keys %s and %s are the same key", keys[i].file, file)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// readKey reads one PEM file holding an RSA private key (PKCS#8 or PKCS#1).
func readKey(file string) (signingKey, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return signingKey{}, fmt.Errorf("read signing key: %w", err)
	}
	priv, err := parseRSAKey(data)
	if err != nil {
		return signingKey{}, fmt.Errorf("signing key %s: %w", file, err)
	}
	k, err := newSigningKey(priv)
	if err != nil {
		return signingKey{}, fmt.Errorf("signing key %s: %w", file, err)
	}
	k.file = file
	return k, nil
}

// parseRSAKey decodes the first PEM block of data as an RSA private key of at
// least keyBits bits.
func parseRSAKey(data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	var raw any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		raw, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		raw, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("PEM block %q is not a private key", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	priv, ok := raw.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("private key is a %T, not RSA", raw)
	}
	if priv.N.BitLen() < keyBits {
		return nil, fmt.Errorf("RSA key has %d bits, want at least %d", priv.N.BitLen(), keyBits)
	}
	return priv, nil
}

// newSigningKey wraps priv as private and public JWKs whose kid is the RFC
// 7638 SHA-256 thumbprint of the public key.
func newSigningKey(priv *rsa.PrivateKey) (signingKey, error) {
	private, err := jwk.Import(priv)
	if err != nil {
		return signingKey{}, fmt.Errorf("import key: %w", err)
	}
	public, err := jwk.PublicKeyOf(private)
	if err != nil {
		return signingKey{}, fmt.Errorf("public key: %w", err)
	}
	if err := jwk.AssignKeyID(public); err != nil {
		return signingKey{}, fmt.Errorf("thumbprint: %w", err)
	}
	kid, _ := public.KeyID()
	for _, key := range []jwk.Key{private, public} {
		if err := setKeyFields(key, kid); err != nil {
			return signingKey{}, err
		}
	}
	return signingKey{kid: kid, private: private, public: public}, nil
}

// setKeyFields sets kid, alg=RS256 and use=sig on key.
func setKeyFields(key jwk.Key, kid string) error {
	fields := map[string]any{
		jwk.KeyIDKey:     kid,
		jwk.AlgorithmKey: jwa.RS256(),
		jwk.KeyUsageKey:  jwk.ForSignature,
	}
	for name, v := range fields {
		if err := key.Set(name, v); err != nil {
			return fmt.Errorf("set %s: %w", name, err)
		}
	}
	return nil
}

// storeNewKey writes data as the key file that sorts after every generated
// one. The file appears complete or not at all (temporary file, fsync, then a
// hard link that never replaces an existing file, then a directory fsync); if
// another process takes the same name first, the next number is tried.
func storeNewKey(dir string, data []byte) error {
	tmp, err := writeTemp(dir, data)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	for range 5 {
		seq, err := nextSeq(dir)
		if err != nil {
			return err
		}
		name := filepath.Join(dir, fmt.Sprintf("%s%06d%s", keyPrefix, seq, keySuffix))
		err = os.Link(tmp, name)
		if errors.Is(err, os.ErrExist) {
			continue
		} else if err != nil {
			return fmt.Errorf("store signing key: %w", err)
		}
		return syncDir(dir)
	}
	return errors.New("store signing key: key file names keep being taken")
}

// writeTemp writes data to a new mode 0600 temporary file in dir and fsyncs it.
func writeTemp(dir string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, ".key-*.tmp")
	if err != nil {
		return "", fmt.Errorf("create key file: %w", err)
	}
	name := f.Name()
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", fmt.Errorf("write key file: %w", err)
	}
	return name, nil
}

// nextSeq returns one more than the highest number of a key-NNNNNN.pem file in dir.
func nextSeq(dir string) (int, error) {
	files, err := filepath.Glob(filepath.Join(dir, keyPrefix+"*"+keySuffix))
	if err != nil {
		return 0, fmt.Errorf("list signing keys: %w", err)
	}
	high := 0
	for _, f := range files {
		digits := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), keyPrefix), keySuffix)
		if n, err := strconv.Atoi(digits); err == nil && n > high {
			high = n
		}
	}
	return high + 1, nil
}

// syncDir fsyncs a directory so that a new entry in it survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open key directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync key directory: %w", err)
	}
	return nil
}
