package auth

import (
	"fmt"

	"github.com/userport/userport"
	"golang.org/x/crypto/bcrypt"
)

// HashPassword returns the bcrypt hash (cost 10) of a user's password. A
// password longer than userport.MaxPasswordBytes (bcrypt's limit) is an
// EINVALID "invalid_body" error worded like httpapi's other body validation
// errors.
func HashPassword(pw string) (string, error) {
	if len(pw) > userport.MaxPasswordBytes {
		return "", userport.Errorf(userport.EINVALID, "invalid_body", "Payload validation error: 'password' is longer than %d bytes", userport.MaxPasswordBytes)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(hash), nil
}

// CheckPassword reports whether pw matches the bcrypt hash.
func CheckPassword(hash, pw string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}
