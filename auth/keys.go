package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/userport/userport"
	"github.com/userport/userport/vault"
)

const keyBits = 2048 // size of generated keys, and the minimum accepted

// UnknownKidInterval is how often at most a KeySet reads its keys again
// because a token names a kid it does not know (a key another node added):
// tokens with made-up kids cannot make it read more often than that.
const UnknownKidInterval = time.Second

// KeySet holds the RSA keys that sign and verify access tokens.
//
// The keys are kept in order by a keySource: PEM files in a directory (the
// embedded default, LoadOrCreateKeys) or secrets sealed in the database that
// every node shares (scale mode, LoadOrCreateVaultKeys). The last key signs
// new tokens; all of them verify tokens and are published in the JWKS.
// Rotate adds a key that sorts last; Retire removes one. Keys another
// process added or removed are read by Reload, by Refresh periodically, and
// when a token names an unknown kid (at most every UnknownKidInterval). A
// KeySet is safe for concurrent use.
type KeySet struct {
	// Clock times the reloads for unknown kids; nil means the system clock.
	// Set it before the KeySet is used.
	Clock userport.Clock

	src keySource

	mu   sync.RWMutex
	keys []signingKey // in the source's order; the last one signs

	unknownMu sync.Mutex
	unknownAt time.Time // the last reload for an unknown kid
}

// signingKey is one RSA key pair as JWKs carrying kid, alg=RS256 and use=sig.
type signingKey struct {
	name      string
	createdAt time.Time
	kid       string
	private   jwk.Key
	public    jwk.Key
}

// KeyInfo describes one key of a KeySet.
type KeyInfo struct {
	ID        string    // the kid
	Name      string    // its file or secret name
	CreatedAt time.Time // when it was stored
	Signs     bool      // whether it signs new tokens (the last key)
}

// LoadOrCreateKeys loads the signing keys of <dir>/signing-keys/*.pem,
// creating the directory (mode 0700) and a first 2048-bit key (mode 0600)
// when there is none.
func LoadOrCreateKeys(dir string) (*KeySet, error) {
	src, err := newFileSource(dir)
	if err != nil {
		return nil, err
	}
	return loadOrCreate(context.Background(), src)
}

// LoadOrCreateVaultKeys loads the signing keys kept sealed in v, creating
// a first 2048-bit key when there is none. Processes that start at once on
// an empty store end up with the same first key.
func LoadOrCreateVaultKeys(ctx context.Context, v *vault.Vault) (*KeySet, error) {
	return loadOrCreate(ctx, vaultSource{v})
}

// loadOrCreate loads the keys of src, adding a first one when it has none:
// as key number 1, so that of processes racing to create it one wins and
// every one reads the winner's.
func loadOrCreate(ctx context.Context, src keySource) (*KeySet, error) {
	ks := &KeySet{src: src}
	if err := ks.reload(ctx, true); err != nil {
		return nil, err
	}
	if ks.Len() > 0 {
		return ks, nil
	}
	data, err := newKeyPEM()
	if err != nil {
		return nil, err
	}
	if err := src.add(ctx, 1, data); err != nil && !errors.Is(err, errKeyTaken) {
		return nil, err
	}
	if err := ks.Reload(ctx); err != nil {
		return nil, err
	}
	return ks, nil
}

// Reload reads the keys again, so that a key added or removed by another
// process (or an operator) is taken into account. Finding no key at all is
// an error, and the keys read before stay in use.
func (ks *KeySet) Reload(ctx context.Context) error {
	return ks.reload(ctx, false)
}

// reload is Reload; allowEmpty accepts a source without keys (first start).
func (ks *KeySet) reload(ctx context.Context, allowEmpty bool) error {
	stored, err := ks.src.load(ctx)
	if err != nil {
		return err
	}
	if len(stored) == 0 && !allowEmpty {
		return fmt.Errorf("no signing key left in %s: the keys read before stay in use", ks.src)
	}
	keys := make([]signingKey, 0, len(stored))
	for _, s := range stored {
		k, err := parseStoredKey(s)
		if err != nil {
			return err
		}
		if i := slices.IndexFunc(keys, func(o signingKey) bool { return o.kid == k.kid }); i >= 0 {
			return fmt.Errorf("signing keys %s and %s are the same key", keys[i].name, k.name)
		}
		keys = append(keys, k)
	}
	ks.mu.Lock()
	ks.keys = keys
	ks.mu.Unlock()
	return nil
}

// Refresh calls Reload every interval until ctx ends, passing its errors
// to onError (the keys read last stay in use meanwhile).
func (ks *KeySet) Refresh(ctx context.Context, interval time.Duration, onError func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := ks.Reload(ctx); err != nil && ctx.Err() == nil {
				onError(err)
			}
		}
	}
}

// Rotate generates a new key, stores it so that it sorts last and makes it
// the signing key; it returns the new key's kid. The previous keys stay for
// verification and in the JWKS.
func (ks *KeySet) Rotate(ctx context.Context) (string, error) {
	data, err := newKeyPEM()
	if err != nil {
		return "", err
	}
	k, err := parseStoredKey(storedKey{name: "new key", pem: data})
	if err != nil {
		return "", err
	}
	for range 5 {
		stored, err := ks.src.load(ctx)
		if err != nil {
			return "", err
		}
		err = ks.src.add(ctx, nextSeq(stored), data)
		if errors.Is(err, errKeyTaken) {
			continue
		} else if err != nil {
			return "", err
		}
		return k.kid, ks.Reload(ctx)
	}
	return "", fmt.Errorf("store signing key in %s: key numbers keep being taken", ks.src)
}

// Retire removes the key kid, which then verifies no token: do it once the
// longest token lifetime has passed since the key stopped signing. The key
// that signs cannot be retired (Rotate first).
func (ks *KeySet) Retire(ctx context.Context, kid string) error {
	if err := ks.Reload(ctx); err != nil {
		return err
	}
	ks.mu.RLock()
	i := slices.IndexFunc(ks.keys, func(k signingKey) bool { return k.kid == kid })
	last := len(ks.keys) - 1
	var name string
	if i >= 0 {
		name = ks.keys[i].name
	}
	ks.mu.RUnlock()
	switch {
	case i < 0:
		return fmt.Errorf("no signing key has the kid %q", kid)
	case i == last:
		return fmt.Errorf("key %s signs new tokens: rotate first, and retire it once the tokens it signed have expired", kid)
	}
	if err := ks.src.remove(ctx, name); err != nil {
		return err
	}
	return ks.Reload(ctx)
}

// newKeyPEM generates a keyBits RSA key as a PKCS#8 PEM block.
func newKeyPEM() ([]byte, error) {
	priv, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encode signing key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
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

// Keys describes every key, the signing key last.
func (ks *KeySet) Keys() []KeyInfo {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	infos := make([]KeyInfo, len(ks.keys))
	for i, k := range ks.keys {
		infos[i] = KeyInfo{ID: k.kid, Name: k.name, CreatedAt: k.createdAt, Signs: i == len(ks.keys)-1}
	}
	return infos
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

// publicKey returns the public key with the given kid. A kid it does not
// know makes it read the keys again first (a key another node added), at
// most every UnknownKidInterval; a failure to read them is as good as an
// unknown kid.
func (ks *KeySet) publicKey(ctx context.Context, kid string) (jwk.Key, bool) {
	if k, ok := ks.findPublic(kid); ok {
		return k, true
	}
	ks.unknownMu.Lock()
	if now := now(ks.Clock); now.Sub(ks.unknownAt) >= UnknownKidInterval {
		ks.unknownAt = now
		_ = ks.Reload(ctx)
	}
	ks.unknownMu.Unlock()
	return ks.findPublic(kid)
}

// findPublic returns the public key with the given kid among those read.
func (ks *KeySet) findPublic(kid string) (jwk.Key, bool) {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	for _, k := range ks.keys {
		if k.kid == kid {
			return k.public, true
		}
	}
	return nil, false
}

// parseStoredKey parses one stored key.
func parseStoredKey(s storedKey) (signingKey, error) {
	priv, err := parseRSAKey(s.pem)
	if err != nil {
		return signingKey{}, fmt.Errorf("signing key %s: %w", s.name, err)
	}
	k, err := newSigningKey(priv)
	if err != nil {
		return signingKey{}, fmt.Errorf("signing key %s: %w", s.name, err)
	}
	k.name, k.createdAt = s.name, s.createdAt
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
