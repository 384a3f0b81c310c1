package auth_test

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
	"golang.org/x/crypto/bcrypt"
)

func TestClientIDAndSecret(t *testing.T) {
	idPattern := regexp.MustCompile(`^[A-Za-z0-9]{32}$`)
	secretPattern := regexp.MustCompile(`^[A-Za-z0-9_-]{64}$`)
	seen := map[string]bool{}
	for range 100 {
		id, secret := auth.NewClientID(), auth.NewClientSecret()
		if !idPattern.MatchString(id) {
			t.Errorf("client id %q", id)
		}
		if !secretPattern.MatchString(secret) {
			t.Errorf("client secret %q", secret)
		}
		if seen[id] || seen[secret] {
			t.Fatalf("repeated value %q / %q", id, secret)
		}
		seen[id], seen[secret] = true, true
	}
}

func TestHashSecret(t *testing.T) {
	secret := auth.NewClientSecret()
	hash := auth.HashSecret(secret)
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(hash) {
		t.Errorf("hash %q is not 64 hex digits", hash)
	}
	if hash != auth.HashSecret(secret) {
		t.Error("HashSecret is not deterministic")
	}
	plain := sha256.Sum256([]byte(secret))
	if hash == hex.EncodeToString(plain[:]) {
		t.Error("hash is a plain SHA-256 of the secret (no domain prefix)")
	}
	if strings.Contains(hash, secret) {
		t.Error("hash contains the secret")
	}
	tests := []struct {
		hash, secret string
		ok           bool
	}{
		{hash, secret, true},
		{hash, secret[:63], false},
		{hash, secret + "x", false},
		{hash, "", false},
		{hash[:63], secret, false},
		{strings.ToUpper(hash), secret, false},
		{"", "", false},
		{auth.HashSecret(""), "", true},
	}
	for _, tt := range tests {
		if got := auth.CheckSecret(tt.hash, tt.secret); got != tt.ok {
			t.Errorf("CheckSecret(%q, %q) = %v, want %v", tt.hash, tt.secret, got, tt.ok)
		}
	}
}

func TestPassword(t *testing.T) {
	hash, err := auth.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if cost, err := bcrypt.Cost([]byte(hash)); err != nil || cost != 10 {
		t.Errorf("bcrypt cost = %d, %v; want 10", cost, err)
	}
	tests := []struct {
		hash, pw string
		ok       bool
	}{
		{hash, "correct horse", true},
		{hash, "correct horse ", false},
		{hash, "Correct horse", false},
		{hash, "", false},
		{"not a hash", "correct horse", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if got := auth.CheckPassword(tt.hash, tt.pw); got != tt.ok {
			t.Errorf("CheckPassword(%q, %q) = %v, want %v", tt.hash, tt.pw, got, tt.ok)
		}
	}
	if other, _ := auth.HashPassword("correct horse"); other == hash {
		t.Error("two hashes of one password are equal (no salt)")
	}
}

func TestPasswordTooLong(t *testing.T) {
	if _, err := auth.HashPassword(strings.Repeat("a", 72)); err != nil {
		t.Errorf("72 bytes: %v", err)
	}
	_, err := auth.HashPassword(strings.Repeat("a", 73))
	if userport.ErrorCode(err) != userport.EINVALID || userport.ErrorDetail(err) != "invalid_body" {
		t.Errorf("73 bytes: error %v, want %s invalid_body", err, userport.EINVALID)
	}
}
