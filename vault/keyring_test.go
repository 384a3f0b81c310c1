package vault_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/userport/userport/vault"
)

// testKeys are two master keys and their spellings.
var (
	keyA = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xa1}, 32))
	keyB = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xb2}, 32))
)

// ring parses s, failing t on error.
func ring(t *testing.T, s string) *vault.Keyring {
	t.Helper()
	k, err := vault.ParseKeyring(s)
	if err != nil {
		t.Fatalf("ParseKeyring: %v", err)
	}
	return k
}

func TestParseKeyring(t *testing.T) {
	hexA := hex.EncodeToString(bytes.Repeat([]byte{0xa1}, 32))
	tests := []struct {
		name, in string
		ids      int    // keys parsed; 0: an error
		want     string // in the error
	}{
		{"base64", keyA, 1, ""},
		{"hex, same key", hexA, 1, ""},
		{"file with a line break", keyA + "\n", 1, ""},
		{"two keys", keyB + "," + keyA, 2, ""},
		{"two lines, spaces", " " + keyB + " \n " + keyA + " \n", 2, ""},
		{"new master key", vault.NewMasterKey(), 1, ""},
		{"empty", "", 0, "no master key"},
		{"only separators", " ,\n", 0, "no master key"},
		{"16 bytes", base64.StdEncoding.EncodeToString(make([]byte, 16)), 0, "a value of 24 characters"},
		{"33 bytes", base64.StdEncoding.EncodeToString(make([]byte, 33)), 0, "a value of 44 characters"},
		{"unpadded base64", base64.RawStdEncoding.EncodeToString(make([]byte, 32)), 0, "a value of 43 characters"},
		{"URL alphabet", strings.Repeat("_", 43) + "=", 0, "a value of 44 characters"},
		{"hex of 31 bytes", hex.EncodeToString(make([]byte, 31)), 0, "a value of 62 characters"},
		{"not hex", strings.Repeat("z", 64), 0, "a value of 64 characters"},
		{"a passphrase", "correct horse battery staple", 0, "a value of 28 characters"},
		{"second key bad", keyA + ",short", 0, "key 2 of 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := vault.ParseKeyring(tt.in)
			if tt.ids == 0 {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("ParseKeyring: %v, want an error containing %q", err, tt.want)
				}
				if strings.TrimSpace(tt.in) != "" && strings.Contains(err.Error(), strings.TrimSpace(tt.in)) {
					t.Errorf("the error quotes the key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseKeyring: %v", err)
			}
			if got := len(k.IDs()); got != tt.ids {
				t.Errorf("%d keys, want %d", got, tt.ids)
			}
		})
	}
	if a, h := ring(t, keyA).ID(), ring(t, hexA).ID(); a != h || len(a) != 16 {
		t.Errorf("ids of one key in base64 and hex: %q and %q, want the same 16 hex digits", a, h)
	}
	if a, b := ring(t, keyA).ID(), ring(t, keyB).ID(); a == b {
		t.Errorf("two keys have the same id %s", a)
	}
}

func TestSealOpen(t *testing.T) {
	k := ring(t, keyA)
	value := []byte("-----BEGIN PRIVATE KEY-----")
	sealed := k.Seal("signing-key/000001", value)
	if bytes.Contains(sealed, value) {
		t.Fatalf("the sealed value holds the plain text")
	}
	if again := k.Seal("signing-key/000001", value); bytes.Equal(again, sealed) {
		t.Errorf("two seals of one value are equal: the nonce is not random")
	}
	got, err := k.Open("signing-key/000001", sealed)
	if err != nil || !bytes.Equal(got, value) {
		t.Fatalf("Open = %q, %v; want %q", got, err, value)
	}
	if id, _ := vault.KeyID(sealed); id != k.ID() {
		t.Errorf("KeyID = %s, want %s", id, k.ID())
	}
	empty, err := k.Open("x", k.Seal("x", nil))
	if err != nil || len(empty) != 0 {
		t.Errorf("Open of an empty value = %q, %v", empty, err)
	}
	// A ring of the new key and the old one opens values of both.
	both := ring(t, keyB+","+keyA)
	if got, err := both.Open("signing-key/000001", sealed); err != nil || !bytes.Equal(got, value) {
		t.Errorf("Open with the old key second = %q, %v", got, err)
	}
	if id, _ := vault.KeyID(both.Seal("n", value)); id != ring(t, keyB).ID() {
		t.Errorf("a ring of two seals with key %s, want the first, %s", id, ring(t, keyB).ID())
	}
}

func TestOpenRefuses(t *testing.T) {
	k := ring(t, keyA)
	sealed := k.Seal("download-key", bytes.Repeat([]byte{7}, 32))
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 1
		return b
	}
	tests := []struct {
		name   string
		key    *vault.Keyring
		secret string
		sealed []byte
		want   error
	}{
		{"wrong master key", ring(t, keyB), "download-key", sealed, vault.ErrUnknownKey},
		{"another name", k, "signing-key/000001", sealed, vault.ErrCorrupt},
		{"version altered", k, "download-key", flip(0), vault.ErrCorrupt},
		{"key id altered", k, "download-key", flip(1), vault.ErrUnknownKey},
		{"nonce altered", k, "download-key", flip(10), vault.ErrCorrupt},
		{"ciphertext altered", k, "download-key", flip(25), vault.ErrCorrupt},
		{"tag altered", k, "download-key", flip(len(sealed) - 1), vault.ErrCorrupt},
		{"bytes appended", k, "download-key", append(bytes.Clone(sealed), 0), vault.ErrCorrupt},
		{"empty", k, "download-key", nil, vault.ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.key.Open(tt.secret, tt.sealed)
			if !errors.Is(err, tt.want) || got != nil {
				t.Errorf("Open = %q, %v; want %v", got, err, tt.want)
			}
		})
	}
	for n := range len(sealed) {
		if got, err := k.Open("download-key", sealed[:n]); err == nil {
			t.Fatalf("Open of the first %d of %d bytes = %q, want an error", n, len(sealed), got)
		}
	}
}

// FuzzOpen: Open of any bytes either returns an error or is the value that
// was sealed, never panics.
func FuzzOpen(f *testing.F) {
	k, _ := vault.ParseKeyring(keyA)
	f.Add(k.Seal("n", []byte("value")))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, sealed []byte) {
		if got, err := k.Open("n", sealed); err == nil && !bytes.Equal(got, []byte("value")) {
			t.Fatalf("Open of forged bytes = %q", got)
		}
	})
}
