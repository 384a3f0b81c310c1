package storetest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/userport/userport"
)

// secretTests are the subtests of the sealed secrets every node shares.
var secretTests = []struct {
	name string
	fn   func(t *testing.T, s userport.Store)
}{
	{"SecretRoundTrip", testSecretRoundTrip},
	{"SecretConflict", testSecretConflict},
	{"SecretUpdateDelete", testSecretUpdateDelete},
	{"SecretAddConcurrent", testSecretAddConcurrent},
}

// addSecret adds a secret, failing t on error.
func addSecret(t *testing.T, s userport.Store, name string, sealed []byte, created time.Time) {
	t.Helper()
	if err := s.AddSecret(t.Context(), &userport.Secret{Name: name, Sealed: sealed, CreatedAt: created}); err != nil {
		t.Fatalf("AddSecret(%q): %v", name, err)
	}
}

// wantSecrets fails t unless the store holds exactly want, in that order.
func wantSecrets(t *testing.T, s userport.Store, want ...*userport.Secret) {
	t.Helper()
	got, err := s.ListSecrets(t.Context())
	if err != nil {
		t.Fatalf("ListSecrets: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("ListSecrets: %d secrets, want %d", len(got), len(want))
	}
	for i, w := range want {
		field(t, "Name", got[i].Name, w.Name)
		if !bytes.Equal(got[i].Sealed, w.Sealed) {
			t.Errorf("secret %q: Sealed = %x, want %x", w.Name, got[i].Sealed, w.Sealed)
		}
		checkTime(t, "CreatedAt", got[i].CreatedAt, w.CreatedAt)
	}
}

// testSecretRoundTrip: secrets come back byte for byte (every byte value,
// none at all), in name order whatever the insertion order.
func testSecretRoundTrip(t *testing.T, s userport.Store) {
	wantSecrets(t, s)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	addSecret(t, s, "signing-key/000002", all, baseTime.Add(time.Hour))
	addSecret(t, s, "download-key", []byte{0}, baseTime)
	addSecret(t, s, "signing-key/000001", []byte("x"), baseTime.Add(time.Minute))
	wantSecrets(t, s,
		&userport.Secret{Name: "download-key", Sealed: []byte{0}, CreatedAt: baseTime},
		&userport.Secret{Name: "signing-key/000001", Sealed: []byte("x"), CreatedAt: baseTime.Add(time.Minute)},
		&userport.Secret{Name: "signing-key/000002", Sealed: all, CreatedAt: baseTime.Add(time.Hour)})
}

// testSecretConflict: adding a taken name is ECONFLICT and keeps the first
// value.
func testSecretConflict(t *testing.T, s userport.Store) {
	addSecret(t, s, "download-key", []byte("first"), baseTime)
	err := s.AddSecret(t.Context(), &userport.Secret{Name: "download-key", Sealed: []byte("second"), CreatedAt: baseTime.Add(time.Hour)})
	wantError(t, err, userport.ECONFLICT, "", "")
	wantSecrets(t, s, &userport.Secret{Name: "download-key", Sealed: []byte("first"), CreatedAt: baseTime})
}

// testSecretUpdateDelete: UpdateSecret replaces the value and keeps the
// creation time; both it and DeleteSecret are ENOTFOUND for a missing name.
func testSecretUpdateDelete(t *testing.T, s userport.Store) {
	addSecret(t, s, "a", []byte("old"), baseTime)
	addSecret(t, s, "b", []byte("kept"), baseTime)
	if err := s.UpdateSecret(t.Context(), &userport.Secret{Name: "a", Sealed: []byte("new"), CreatedAt: baseTime.Add(time.Hour)}); err != nil {
		t.Fatalf("UpdateSecret: %v", err)
	}
	wantSecrets(t, s, &userport.Secret{Name: "a", Sealed: []byte("new"), CreatedAt: baseTime},
		&userport.Secret{Name: "b", Sealed: []byte("kept"), CreatedAt: baseTime})
	err := s.UpdateSecret(t.Context(), &userport.Secret{Name: "c", Sealed: []byte("x")})
	wantError(t, err, userport.ENOTFOUND, "", "")
	if err := s.DeleteSecret(t.Context(), "a"); err != nil {
		t.Fatalf("DeleteSecret: %v", err)
	}
	wantSecrets(t, s, &userport.Secret{Name: "b", Sealed: []byte("kept"), CreatedAt: baseTime})
	wantError(t, s.DeleteSecret(t.Context(), "a"), userport.ENOTFOUND, "", "")
}

// testSecretAddConcurrent: of processes adding one name at once (nodes
// starting together on an empty database), exactly one succeeds, the others
// get ECONFLICT, and the stored value is the winner's.
func testSecretAddConcurrent(t *testing.T, s userport.Store) {
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.AddSecret(t.Context(), &userport.Secret{Name: "signing-key/000001",
				Sealed: fmt.Appendf(nil, "value %d", i), CreatedAt: baseTime})
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner < 0:
			winner = i
		case err == nil:
			t.Fatalf("AddSecret succeeded twice (%d and %d)", winner, i)
		default:
			wantError(t, err, userport.ECONFLICT, "", "")
		}
	}
	if winner < 0 {
		t.Fatal("no AddSecret succeeded")
	}
	wantSecrets(t, s, &userport.Secret{Name: "signing-key/000001", Sealed: fmt.Appendf(nil, "value %d", winner), CreatedAt: baseTime})
}
