package userport

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
	"time"
)

// TimeFormat is how Auth0 writes timestamps: UTC, ISO-8601, milliseconds.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// FormatTime formats t as Auth0 does ("2017-11-02T23:34:03.803Z").
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// Identity is one entry of a profile's `identities` array, its keys in
// Auth0's order.
type Identity struct {
	Connection string `json:"connection"`
	UserID     string `json:"user_id"`
	Provider   string `json:"provider"`
	IsSocial   bool   `json:"isSocial"`
}

// Profile is the Auth0 user profile, the document a User keeps in Doc. Optional
// attributes are pointers or omitted when empty, so that an absent value stays
// absent in the document (and exports leave its cell empty). The fields are
// in Auth0's key order (profileAttributes): every writer of a document,
// create, PATCH and import, gives a user's keys that one order.
type Profile struct {
	Blocked           *bool           `json:"blocked,omitempty"`
	CreatedAt         string          `json:"created_at"`
	Email             string          `json:"email,omitempty"`
	EmailVerified     *bool           `json:"email_verified,omitempty"`
	FamilyName        string          `json:"family_name,omitempty"`
	GivenName         string          `json:"given_name,omitempty"`
	Identities        []Identity      `json:"identities"`
	Name              string          `json:"name,omitempty"`
	Nickname          string          `json:"nickname,omitempty"`
	PhoneNumber       string          `json:"phone_number,omitempty"`
	PhoneVerified     *bool           `json:"phone_verified,omitempty"`
	Picture           string          `json:"picture,omitempty"`
	UpdatedAt         string          `json:"updated_at"`
	UserID            string          `json:"user_id"`
	UserMetadata      json.RawMessage `json:"user_metadata,omitempty"`
	Username          string          `json:"username,omitempty"`
	LastPasswordReset string          `json:"last_password_reset,omitempty"`
	AppMetadata       json.RawMessage `json:"app_metadata,omitempty"`
	LastIP            string          `json:"last_ip,omitempty"`
	LastLogin         string          `json:"last_login,omitempty"`
	LoginsCount       *int64          `json:"logins_count,omitempty"`
}

// UserFromProfile builds the stored User for p in tenant, with the given
// connection id and password hash. CreatedAt and UpdatedAt are parsed from p's
// timestamps; Email is lower-cased for the uniqueness check.
func UserFromProfile(tenant, connectionID, passwordHash string, p *Profile) (*User, error) {
	doc, err := EncodeValue(p) // keeps "&" in picture URLs as Auth0 shows them
	if err != nil {
		return nil, err
	}
	created, _ := time.Parse(TimeFormat, p.CreatedAt)
	updated, _ := time.Parse(TimeFormat, p.UpdatedAt)
	return &User{
		Tenant:       tenant,
		UserID:       p.UserID,
		ConnectionID: connectionID,
		Email:        strings.ToLower(p.Email),
		Username:     p.Username,
		PasswordHash: passwordHash,
		CreatedAt:    created,
		UpdatedAt:    updated,
		Doc:          doc,
	}, nil
}

// FillDefaults gives a new database user what Auth0 gives one: email_verified
// false, the email as name, its local part as nickname, and the Gravatar
// picture of the email.
func (p *Profile) FillDefaults() {
	if p.EmailVerified == nil {
		f := false
		p.EmailVerified = &f
	}
	if p.Name == "" {
		p.Name = p.Email
	}
	if p.Nickname == "" {
		p.Nickname, _, _ = strings.Cut(p.Email, "@")
	}
	if p.Picture == "" {
		sum := md5.Sum([]byte(strings.ToLower(strings.TrimSpace(p.Email))))
		p.Picture = "https://s.gravatar.com/avatar/" + hex.EncodeToString(sum[:]) + "?s=480&r=pg&d=mp"
	}
}

// ValidPicture reports whether s may be a profile's picture: an absolute
// http or https URL with a host. Other schemes (javascript:, data:, file:)
// and relative references are refused, so that no client that shows the
// picture runs or fetches something else.
func ValidPicture(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	return (scheme == "http" || scheme == "https") && !strings.ContainsAny(s, " \t\r\n")
}
