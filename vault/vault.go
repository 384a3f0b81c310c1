package vault

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/userport/userport"
)

// Secret is an opened secret.
type Secret struct {
	Name      string
	Value     []byte
	CreatedAt time.Time
}

// Vault keeps secrets in a store, sealed with a Keyring. It is safe for
// concurrent use; it holds no secret itself (each call reads the store).
type Vault struct {
	store userport.SecretStore
	keys  *Keyring
	clock userport.Clock
}

// Open returns a vault over store once every secret there opens with keys:
// a secret sealed with a master key keys does not hold is an error wrapping
// ErrUnknownKey (the wrong master key), one that does not open ErrCorrupt.
// Secrets sealed with another key of the ring than the first are sealed
// again with the first (the last step of a rotation of the master key).
// clock dates new secrets; nil means userport.SystemClock.
func Open(ctx context.Context, store userport.SecretStore, keys *Keyring, clock userport.Clock) (*Vault, error) {
	if clock == nil {
		clock = userport.SystemClock{}
	}
	v := &Vault{store: store, keys: keys, clock: clock}
	all, err := store.ListSecrets(ctx)
	if err != nil {
		return nil, fmt.Errorf("read secrets: %w", err)
	}
	for _, s := range all {
		if err := v.check(ctx, s); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// check opens s and, when an older master key sealed it, seals it again
// with the first.
func (v *Vault) check(ctx context.Context, s *userport.Secret) error {
	value, err := v.keys.Open(s.Name, s.Sealed)
	if err != nil {
		return fmt.Errorf("secret %q: %w", s.Name, err)
	}
	if v.keys.sealedWithFirst(s.Sealed) {
		return nil
	}
	err = v.store.UpdateSecret(ctx, &userport.Secret{Name: s.Name, Sealed: v.keys.Seal(s.Name, value)})
	if err != nil && userport.ErrorCode(err) != userport.ENOTFOUND { // deleted meanwhile: nothing to re-seal
		return fmt.Errorf("re-seal secret %q: %w", s.Name, err)
	}
	return nil
}

// List returns the secrets whose names start with prefix, opened, in name
// order.
func (v *Vault) List(ctx context.Context, prefix string) ([]Secret, error) {
	all, err := v.store.ListSecrets(ctx)
	if err != nil {
		return nil, fmt.Errorf("read secrets: %w", err)
	}
	var out []Secret
	for _, s := range all {
		if !strings.HasPrefix(s.Name, prefix) {
			continue
		}
		value, err := v.keys.Open(s.Name, s.Sealed)
		if err != nil {
			return nil, fmt.Errorf("secret %q: %w", s.Name, err)
		}
		out = append(out, Secret{Name: s.Name, Value: value, CreatedAt: s.CreatedAt})
	}
	return out, nil
}

// Add seals value and stores it as name; ErrSecretConflict (ECONFLICT) when
// the name is taken.
func (v *Vault) Add(ctx context.Context, name string, value []byte) error {
	return v.store.AddSecret(ctx, &userport.Secret{Name: name, Sealed: v.keys.Seal(name, value), CreatedAt: v.clock.Now()})
}

// Delete removes the secret name; ErrSecretNotFound (ENOTFOUND) when there
// is none.
func (v *Vault) Delete(ctx context.Context, name string) error {
	return v.store.DeleteSecret(ctx, name)
}

// LoadOrCreate returns the secret name, storing the value of create first
// when there is none. Of processes calling it at once on an empty store,
// one stores its value and every one returns that value: each adds only if
// absent, then reads what is stored.
func (v *Vault) LoadOrCreate(ctx context.Context, name string, create func() ([]byte, error)) ([]byte, error) {
	if value, err := v.get(ctx, name); !errors.Is(err, errNotFound) {
		return value, err
	}
	value, err := create()
	if err != nil {
		return nil, err
	}
	if err := v.Add(ctx, name, value); err != nil && userport.ErrorCode(err) != userport.ECONFLICT {
		return nil, fmt.Errorf("store secret %q: %w", name, err)
	}
	return v.get(ctx, name)
}

// errNotFound is get's error for a missing secret.
var errNotFound = errors.New("no such secret")

// get returns the value of the secret name.
func (v *Vault) get(ctx context.Context, name string) ([]byte, error) {
	all, err := v.List(ctx, name)
	if err != nil {
		return nil, err
	}
	for _, s := range all {
		if s.Name == name {
			return s.Value, nil
		}
	}
	return nil, errNotFound
}
