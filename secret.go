package userport

import (
	"context"
	"time"
)

// Secret is a value every node of a deployment shares (in scale mode, the
// token signing keys and the download-link key), kept by the store in sealed
// form: encrypted and authenticated by package vault with a master key the
// store never sees. Names are never reused for another value.
type Secret struct {
	Name      string // "signing-key/000001", "download-key"
	Sealed    []byte // the sealed value (see package vault)
	CreatedAt time.Time
}

// SecretStore keeps sealed secrets.
type SecretStore interface {
	// AddSecret inserts s, or returns ErrSecretConflict (and changes
	// nothing) when a secret of its name exists: of processes adding the
	// same name at once, one wins and the others read its value.
	AddSecret(ctx context.Context, s *Secret) error
	// ListSecrets returns every secret, in name order.
	ListSecrets(ctx context.Context) ([]*Secret, error)
	// UpdateSecret replaces the sealed value of the secret named s.Name
	// (re-sealed with another master key), keeping its CreatedAt;
	// ErrSecretNotFound when there is none.
	UpdateSecret(ctx context.Context, s *Secret) error
	// DeleteSecret removes the named secret; ErrSecretNotFound when there
	// is none.
	DeleteSecret(ctx context.Context, name string) error
}

// ErrSecretNotFound is the error of a secret that does not exist: ENOTFOUND.
func ErrSecretNotFound() error {
	return Errorf(ENOTFOUND, "", "The secret does not exist.")
}

// ErrSecretConflict is the error of a new secret whose name is taken:
// ECONFLICT.
func ErrSecretConflict() error {
	return Errorf(ECONFLICT, "", "The secret already exists.")
}
