package userport

import (
	"bytes"
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
	// TypeNumber and TypeNull are no attribute's type; values can have them.
	TypeNumber AttrType = "number"
	TypeNull   AttrType = "null"
)

// JSONType is the type of the JSON value raw as Auth0's schema validator
// names it in its messages: a number without a fraction or exponent is an
// integer, and nothing at all (white space) is null.
func JSONType(raw []byte) AttrType {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return TypeNull
	}
	switch raw[0] {
	case '"':
		return TypeString
	case '{':
		return TypeObject
	case '[':
		return TypeArray
	case 't', 'f':
		return TypeBoolean
	case 'n':
		return TypeNull
	}
	if bytes.ContainsAny(raw, ".eE") {
		return TypeNumber
	}
	return TypeInteger
}

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

// identityAttributes are the keys of an identity (an element of
// identities), as the importer checks them: strings of at most 255
// characters and a boolean.
var identityAttributes = []Attribute{
	{Key: "connection", Type: TypeString, MaxLen: 255},
	{Key: "user_id", Type: TypeString, MaxLen: 255},
	{Key: "provider", Type: TypeString, MaxLen: 255},
	{Key: "isSocial", Type: TypeBoolean},
}

// IdentityAttribute returns the attribute named key of an identity.
func IdentityAttribute(key string) (Attribute, bool) {
	for _, a := range identityAttributes {
		if a.Key == key {
			return a, true
		}
	}
	return Attribute{}, false
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

// UserIDPattern is the shape of every user_id: a provider, "|", and the
// provider's id, neither with "|" or white space ("auth0|5f1c2e3d...").
const UserIDPattern = `^[^|\s]+\|[^|\s]+$`

var (
	emailPattern  = regexp.MustCompile(`^[^\s@]+@[^\s@]+\.[^\s@]+$`)
	userIDPattern = regexp.MustCompile(UserIDPattern)
)

// StringLength is the length of s as Auth0's validator counts it: in
// characters (Unicode code points), not bytes.
func StringLength(s string) int { return utf8.RuneCountInString(s) }

// CheckLength checks that s has 1 to maxLen characters (0: no maximum): the
// length rule of every string a body or an import record gives. It returns
// nil when s fits.
func CheckLength(s string, maxLen int) *AttrIssue {
	switch n := StringLength(s); {
	case n == 0:
		return &AttrIssue{ImportMinLength, "String is too short (0 chars), minimum 1"}
	case maxLen > 0 && n > maxLen:
		return &AttrIssue{ImportMaxLength, "String is too long (" + strconv.Itoa(n) + " chars), maximum " + strconv.Itoa(maxLen)}
	}
	return nil
}

// CheckString checks a string value of a: 1 to MaxLen characters, and its
// format. It returns nil when s fits.
func (a Attribute) CheckString(s string) *AttrIssue {
	if is := CheckLength(s, a.MaxLen); is != nil {
		return is
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

// CheckUserID checks a whole user_id (a path's {id}): the one user_id rule
// that DatabaseUserID applies too. It returns nil when id fits.
func CheckUserID(id string) *AttrIssue { return checkUserID(id, id) }

// DatabaseUserID returns the user_id of a database user given with or
// without the "auth0|" prefix: "auth0|" and the rest, checked as
// CheckUserID checks a whole user_id.
func DatabaseUserID(given string) (string, *AttrIssue) {
	id := given
	if !strings.HasPrefix(given, "auth0|") {
		id = "auth0|" + given
	}
	if is := checkUserID(id, given); is != nil {
		return "", is
	}
	return id, nil
}

// checkUserID checks the user_id id, made of given: not empty, of the shape
// UserIDPattern, at most the user_id attribute's MaxLen characters. The
// messages quote given, what the caller wrote.
func checkUserID(id, given string) *AttrIssue {
	if given == "" {
		return CheckLength(given, 0)
	}
	if !userIDPattern.MatchString(id) {
		return &AttrIssue{ImportPattern, "String does not match pattern " + UserIDPattern + ": " + Excerpt(given)}
	}
	a, _ := ProfileAttribute("user_id")
	return CheckLength(id, a.MaxLen)
}

// DatabaseIdentity is the identity of the database user userID in conn.
func DatabaseIdentity(conn *Connection, userID string) Identity {
	return Identity{Connection: conn.Name, UserID: strings.TrimPrefix(userID, "auth0|"), Provider: "auth0"}
}
