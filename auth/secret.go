package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"

	"github.com/userport/userport"
)

// secretDomain prefixes a client secret before hashing, so that the stored
// hash is of no use as the hash of anything else.
const secretDomain = "userport client secret v1\x00"

// NewClientID returns a new client id: 32 random alphanumerics.
func NewClientID() string { return userport.RandomString(32) }

// NewClientSecret returns a new client secret: 64 URL-safe base64 characters
// (384 random bits).
func NewClientSecret() string {
	b := make([]byte, 48)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashSecret returns the hex SHA-256 of secretDomain followed by secret: the
// form in which a client secret is stored (userport.Client.SecretHash).
//
// A fast hash is enough here, unlike for passwords: client secrets are 384-bit
// random strings made by NewClientSecret, so there is no dictionary to try and
// brute force over the secret space is hopeless; a slow hash would only make
// every token request slow. The domain prefix keeps the value from matching a
// plain SHA-256 of the secret computed anywhere else.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secretDomain + secret))
	return hex.EncodeToString(sum[:])
}

// CheckSecret reports whether secret hashes to hash, in constant time.
func CheckSecret(hash, secret string) bool {
	return subtle.ConstantTimeCompare([]byte(hash), []byte(HashSecret(secret))) == 1
}
