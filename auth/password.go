package auth

import (
	"errors"
	"fmt"

	"github.com/userport/userport"
	"golang.org/x/crypto/bcrypt"
)

// HashPassword returns the bcrypt hash (cost 10) of a user's password. A
// password longer than bcrypt's 72 bytes is an EINVALID "invalid_body" error
// worded like httpapi's other body validation errors.
func HashPassword(pw string) (string, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if errors.Is(err, bcrypt.ErrPasswordTooLong) {
		return "", fmt.Errorf("%w: %w", userport.Errorf(userport.EINVALID, "invalid_body", "Payload validation error: 'password' is longer than 72 bytes"), err)
	} else if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(hash), nil
}

// CheckPassword reports whether pw matches the bcrypt hash.
func CheckPassword(hash, pw string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}
