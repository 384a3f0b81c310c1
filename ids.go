package userport

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"regexp"
	"time"
)

const alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// RandomString returns n characters of [A-Za-z0-9] from a cryptographic source.
func RandomString(n int) string {
	return randomFrom(alphanumerics, n)
}

func randomFrom(alphabet string, n int) string {
	out := make([]byte, n)
	buf := make([]byte, n*2)
	for i := 0; i < n; {
		_, _ = rand.Read(buf) // crypto/rand.Read never fails (Go 1.24+)
		for _, b := range buf {
			// 62*4 = 248: reject the top values to keep the distribution uniform.
			if b >= 248 {
				continue
			}
			out[i] = alphabet[int(b)%len(alphabet)]
			i++
			if i == n {
				break
			}
		}
	}
	return string(out)
}

// NewJobID returns "job_" followed by 16 random alphanumerics.
func NewJobID() string { return "job_" + RandomString(16) }

// NewConnectionID returns "con_" followed by 16 random alphanumerics.
func NewConnectionID() string { return "con_" + RandomString(16) }

// NewUserID returns a database-connection user id: "auth0|" followed by 24 hex
// digits. Like Auth0's (MongoDB ObjectId-like) ids, the first 8 digits are the
// creation time in seconds, so new users land at the end of the user_id order and
// inserts into a table clustered by user_id stay sequential.
func NewUserID(now time.Time) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b[4:])
	binary.BigEndian.PutUint32(b, uint32(now.Unix()))
	return "auth0|" + hex.EncodeToString(b)
}

var (
	jobIDPattern        = regexp.MustCompile(`^job_[A-Za-z0-9]{16}$`)
	connectionIDPattern = regexp.MustCompile(`^con_[A-Za-z0-9]{16}$`)
)

// ValidJobID reports whether s has the shape of a job id.
func ValidJobID(s string) bool { return jobIDPattern.MatchString(s) }

// ValidConnectionID reports whether s has the shape of a connection id.
func ValidConnectionID(s string) bool { return connectionIDPattern.MatchString(s) }
