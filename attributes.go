package userport

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// AttrType is the JSON type a profile attribute takes, named as Auth0's
// schema validator names it.
type AttrType string

// The JSON types of profile attributes.
const (
	TypeString  AttrType = "string"
	TypeBoolean AttrType = "boolean"
	TypeObject  AttrType = "object"
	TypeArray   AttrType = "array"
	TypeInteger AttrType = "integer"
)

// The formats a string attribute may have.
const (
	FormatEmail    = "email"
	FormatURL      = "url"
	FormatDateTime = "date-time"
	FormatIP       = "ip"
)

// Attribute is one root attribute of a user profile: its key, JSON type,
// and for strings the longest value (in characters) and a format.
type Attribute struct {
	Key    string
	Type   AttrType
	MaxLen int    // strings: most characters; 0 for no limit
	Format string // FormatEmail, FormatURL, ... or "" for none
}

// profileAttributes are the root attributes of a stored profile, in the
// order Auth0 writes a user's keys (recorded from real tenants: the core
// attributes sorted, then last_password_reset and app_metadata; the login
// statistics, which the recordings do not show, last).
var profileAttributes = []Attribute{
	{Key: "blocked", Type: TypeBoolean},
	{Key: "created_at", Type: TypeString, Format: FormatDateTime},
	{Key: "email", Type: TypeString, MaxLen: 254, Format: FormatEmail},
	{Key: "email_verified", Type: TypeBoolean},
	{Key: "family_name", Type: TypeString, MaxLen: 150},
	{Key: "given_name", Type: TypeString, MaxLen: 150},
	{Key: "identities", Type: TypeArray},
	{Key: "name", Type: TypeString, MaxLen: 300},
	{Key: "nickname", Type: TypeString, MaxLen: 300},
	{Key: "phone_number", Type: TypeString, MaxLen: 30},
	{Key: "phone_verified", Type: TypeBoolean},
	{Key: "picture", Type: TypeString, MaxLen: 2048, Format: FormatURL},
	{Key: "updated_at", Type: TypeString, Format: FormatDateTime},
	{Key: "user_id", Type: TypeString, MaxLen: 255},
	{Key: "user_metadata", Type: TypeObject},
	{Key: "username", Type: TypeString, MaxLen: 128},
	{Key: "last_password_reset", Type: TypeString, Format: FormatDateTime},
	{Key: "app_metadata", Type: TypeObject},
	{Key: "last_ip", Type: TypeString, MaxLen: 45, Format: FormatIP},
	{Key: "last_login", Type: TypeString, Format: FormatDateTime},
	{Key: "logins_count", Type: TypeInteger},
}

// ProfileAttribute returns the attribute named key.
func ProfileAttribute(key string) (Attribute, bool) {
	i := keyRank(key)
	if i == len(profileAttributes) {
		return Attribute{}, false
	}
	return profileAttributes[i], true
}

// keyRank is key's place in Auth0's key order; unknown keys come last.
func keyRank(key string) int {
	for i, a := range profileAttributes {
		if a.Key == key {
			return i
		}
	}
	return len(profileAttributes)
}

// AttrIssue is why a value does not fit its attribute: one of the schema
// error codes (ImportMaxLength, ImportInvalidFormat, ...) and the message of
// Auth0's validator, without the property ("String is too long (301 chars),
// maximum 300"). Each API wraps it in its own error shape.
type AttrIssue struct {
	Code    string
	Message string
}

var (
	emailPattern  = regexp.MustCompile(`^[^\s@]+@[^\s@]+\.[^\s@]+$`)
	idPartPattern = regexp.MustCompile(`^[^|\s]+$`)
)

// CheckString checks a string value of a: 1 to MaxLen characters, and its
// format. It returns nil when s fits.
func (a Attribute) CheckString(s string) *AttrIssue {
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		return &AttrIssue{ImportMinLength, "String is too short (0 chars), minimum 1"}
	case a.MaxLen > 0 && n > a.MaxLen:
		return &AttrIssue{ImportMaxLength, "String is too long (" + strconv.Itoa(n) + " chars), maximum " + strconv.Itoa(a.MaxLen)}
	}
	if !validFormat(a.Format, s) {
		return &AttrIssue{ImportInvalidFormat, "Object didn't pass validation for format " + a.Format + ": " + Excerpt(s)}
	}
	return nil
}

// validFormat reports whether s has format (dates are checked where they
// are parsed).
func validFormat(format, s string) bool {
	switch format {
	case FormatEmail:
		return ValidEmail(s)
	case FormatURL:
		return ValidPicture(s)
	case FormatIP:
		_, err := netip.ParseAddr(s)
		return err == nil
	}
	return true
}

// ValidEmail reports whether s has the shape of an email address.
func ValidEmail(s string) bool { return emailPattern.MatchString(s) }

// DatabaseUserID returns the user_id of a database user given as id, with
// or without the "auth0|" prefix: "auth0|" and a part without '|' or spaces.
func DatabaseUserID(given string) (string, *AttrIssue) {
	a, _ := ProfileAttribute("user_id")
	if is := a.CheckString(given); is != nil {
		return "", is
	}
	part := strings.TrimPrefix(given, "auth0|")
	if !idPartPattern.MatchString(part) {
		return "", &AttrIssue{ImportPattern, "String does not match pattern ^[^|\\s]+$: " + Excerpt(given)}
	}
	return "auth0|" + part, nil
}

// DatabaseIdentity is the identity of the database user userID in conn.
func DatabaseIdentity(conn *Connection, userID string) Identity {
	return Identity{Connection: conn.Name, UserID: strings.TrimPrefix(userID, "auth0|"), Provider: "auth0"}
}
