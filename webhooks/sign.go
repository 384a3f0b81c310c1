// Package webhooks sends userport's completion events (job.completed,
// job.failed, job.expired) per the Standard Webhooks specification (v1):
// the secrets (whsec_ + base64, sealed at rest), the signature of each
// attempt, the event bodies, the retry schedule, and the HTTP client whose
// every connection is checked against the SSRF rules (Guard). The River
// workers that deliver are in package jobs.
package webhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/userport/userport/vault"
)

// SecretPrefix starts every secret as it is shown (Standard Webhooks').
const SecretPrefix = "whsec_"

// SecretSize is how many random bytes a secret has.
const SecretSize = 32

// NewSecret returns a new random secret.
func NewSecret() []byte {
	b := make([]byte, SecretSize)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return b
}

// ShowSecret is secret as it is shown once to its owner: "whsec_" + base64.
func ShowSecret(secret []byte) string {
	return SecretPrefix + base64.StdEncoding.EncodeToString(secret)
}

// Sign is the signature of one message with one secret:
// "v1," + base64(HMAC-SHA256(secret, id + "." + unix seconds + "." + body)).
func Sign(secret []byte, id string, at time.Time, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(id + "." + strconv.FormatInt(at.Unix(), 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// SignatureHeader is the webhook-signature header of one message: the
// signature of each secret, separated by spaces (after a rotation, the new
// secret's and the old one's).
func SignatureHeader(secrets [][]byte, id string, at time.Time, body []byte) string {
	sigs := make([]string, len(secrets))
	for i, s := range secrets {
		sigs[i] = Sign(s, id, at, body)
	}
	return strings.Join(sigs, " ")
}

// Sealer seals secrets at rest (AES-256-GCM, package vault) with a key of
// the deployment's secrets (the data dir's, or the database's sealed with
// the master key in scale mode), each bound to its webhook's id.
type Sealer struct {
	keys *vault.Keyring
}

// NewSealer returns the sealer of key (any length: its SHA-256 seals).
func NewSealer(key []byte) *Sealer {
	sum := sha256.Sum256(append([]byte("userport webhook secrets\x00"), key...))
	keys, err := vault.ParseKeyring(base64.StdEncoding.EncodeToString(sum[:]))
	if err != nil {
		panic(err) // unreachable: 32 bytes in base64
	}
	return &Sealer{keys: keys}
}

// Seal seals the secret of the webhook id.
func (s *Sealer) Seal(id string, secret []byte) []byte {
	return s.keys.Seal("webhook/"+id, secret)
}

// Open opens what Seal sealed for id.
func (s *Sealer) Open(id string, sealed []byte) ([]byte, error) {
	secret, err := s.keys.Open("webhook/"+id, sealed)
	if err != nil {
		return nil, fmt.Errorf("open the secret of webhook %s: %w", id, err)
	}
	return secret, nil
}
