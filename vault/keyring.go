// Package vault seals the secrets every node of a scale-mode deployment
// shares (the token signing keys, the download-link key) before a store
// keeps them, and opens them again, with a master key every node is given.
//
// Sealing is AES-256-GCM from the standard library. A sealed value is
//
//	version (1 byte, 1) | master key id (8 bytes) | nonce (12 bytes) | ciphertext and tag
//
// authenticated together with the secret's name, so a sealed value neither
// changes unnoticed nor moves to another name. The key id (the first 8 bytes
// of SHA-256 over a label and the key) says which master key sealed a value,
// so that a Keyring of several keys (the new one first, during a rotation of
// the master key) opens values of each and re-seals them with the first.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the size of a master key: 32 random bytes (AES-256).
const KeySize = 32

const (
	version  = 1
	idSize   = 8
	nonceLen = 12
	header   = 1 + idSize + nonceLen
	idLabel  = "userport master key id\x00"
)

// Keyring is the master keys of a deployment: the first seals, each opens
// what it sealed.
type Keyring struct {
	keys []masterKey
}

type masterKey struct {
	id   [idSize]byte
	aead cipher.AEAD
}

// ParseKeyring parses one or more master keys separated by commas or line
// breaks (spaces around each are ignored), each 32 bytes written in standard
// base64 (`openssl rand -base64 32`, 44 characters) or in hex (64
// characters). Its errors never quote the value.
func ParseKeyring(s string) (*Keyring, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' })
	var k Keyring
	for i, f := range fields {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		key, err := decodeKey(f)
		if err != nil {
			return nil, fmt.Errorf("key %d of %d: %w", i+1, len(fields), err)
		}
		k.keys = append(k.keys, newMasterKey(key))
	}
	if len(k.keys) == 0 {
		return nil, errors.New("no master key: want 32 random bytes in base64 (openssl rand -base64 32)")
	}
	return &k, nil
}

// decodeKey decodes one master key, base64 or hex, of exactly KeySize bytes.
func decodeKey(s string) ([]byte, error) {
	var key []byte
	var err error
	if len(s) == hex.EncodedLen(KeySize) {
		key, err = hex.DecodeString(s)
	} else {
		key, err = base64.StdEncoding.Strict().DecodeString(s)
	}
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("not 32 bytes in base64 (44 characters) or hex (64 characters), but a value of %d characters", len(s))
	}
	return key, nil
}

// newMasterKey returns key as an AES-256-GCM sealer and its id.
func newMasterKey(key []byte) masterKey {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // unreachable: key has KeySize bytes
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err) // unreachable: AES has a 16-byte block
	}
	sum := sha256.Sum256(append([]byte(idLabel), key...))
	var mk masterKey
	copy(mk.id[:], sum[:idSize])
	mk.aead = aead
	return mk
}

// NewMasterKey returns a new random master key in base64, as ParseKeyring
// reads it.
func NewMasterKey() string {
	key := make([]byte, KeySize)
	_, _ = rand.Read(key) // crypto/rand.Read never fails (Go 1.24+)
	return base64.StdEncoding.EncodeToString(key)
}

// ID returns the id of the master key that seals, in hex.
func (k *Keyring) ID() string { return hex.EncodeToString(k.keys[0].id[:]) }

// IDs returns the ids of every master key, the sealing one first.
func (k *Keyring) IDs() []string {
	ids := make([]string, len(k.keys))
	for i, mk := range k.keys {
		ids[i] = hex.EncodeToString(mk.id[:])
	}
	return ids
}

// Seal encrypts and authenticates value for the secret called name with the
// first master key.
func (k *Keyring) Seal(name string, value []byte) []byte {
	mk := k.keys[0]
	out := make([]byte, header, header+len(value)+mk.aead.Overhead())
	out[0] = version
	copy(out[1:], mk.id[:])
	_, _ = rand.Read(out[1+idSize : header])
	return mk.aead.Seal(out, out[1+idSize:header], value, additionalData(name, out[:header]))
}

// additionalData is what a sealed value authenticates besides its
// ciphertext: its header and the secret's name.
func additionalData(name string, hdr []byte) []byte {
	return append(append([]byte(nil), hdr...), name...)
}

// Errors of Open. ErrUnknownKey is a wrong master key; ErrCorrupt a sealed
// value that was altered, truncated or moved to another name.
var (
	ErrUnknownKey = errors.New("sealed with another master key")
	ErrCorrupt    = errors.New("sealed value altered, truncated or not of this name")
)

// KeyID returns the id of the master key that sealed a value, in hex.
func KeyID(sealed []byte) (string, error) {
	if len(sealed) < header || sealed[0] != version {
		return "", ErrCorrupt
	}
	return hex.EncodeToString(sealed[1 : 1+idSize]), nil
}

// Open returns the value that Seal sealed for name: ErrUnknownKey when no key
// of the ring has the id it was sealed with, ErrCorrupt when it does not
// open.
func (k *Keyring) Open(name string, sealed []byte) ([]byte, error) {
	id, err := KeyID(sealed)
	if err != nil {
		return nil, err
	}
	for _, mk := range k.keys {
		if hex.EncodeToString(mk.id[:]) != id {
			continue
		}
		if len(sealed) < header+mk.aead.Overhead() {
			return nil, ErrCorrupt
		}
		value, err := mk.aead.Open(nil, sealed[1+idSize:header], sealed[header:], additionalData(name, sealed[:header]))
		if err != nil {
			return nil, ErrCorrupt
		}
		return value, nil
	}
	return nil, fmt.Errorf("%w %s", ErrUnknownKey, id)
}

// sealedWithFirst reports whether sealed was sealed with the first (sealing) key.
func (k *Keyring) sealedWithFirst(sealed []byte) bool {
	id, err := KeyID(sealed)
	return err == nil && id == k.ID()
}
