package seed

import (
	"strconv"

	"github.com/userport/userport"
)

// appendProfile appends p encoded exactly as userport.UserFromProfile encodes
// it (the tests compare the two byte for byte): the same key order (Auth0's,
// userport.Profile's fields), the same
// omitempty rules and the same string escaping. It is the generator's fast
// path, not a general encoder: the metadata documents are appended as they are
// (the generator writes them compact and escaped), and so are the attributes
// it builds from plain ASCII only (ids, times, addresses, the picture URL).
// encoding/json costs several times more, mostly re-scanning the metadata.
func appendProfile(b []byte, p *userport.Profile) []byte {
	start := len(b)
	b = append(b, '{')
	b = appendOptBool(b, "blocked", p.Blocked)
	b = appendPlainField(b, "created_at", p.CreatedAt)
	b = appendOptPlain(b, "email", p.Email)
	b = appendOptBool(b, "email_verified", p.EmailVerified)
	b = appendOptString(b, "family_name", p.FamilyName)
	b = appendOptString(b, "given_name", p.GivenName)
	b = appendIdentities(b, p.Identities)
	b = appendOptString(b, "name", p.Name)
	b = appendOptString(b, "nickname", p.Nickname)
	b = appendOptPlain(b, "phone_number", p.PhoneNumber)
	b = appendOptBool(b, "phone_verified", p.PhoneVerified)
	b = appendOptPlain(b, "picture", p.Picture)
	b = appendPlainField(b, "updated_at", p.UpdatedAt)
	b = appendPlainField(b, "user_id", p.UserID)
	b = appendOptRaw(b, "user_metadata", p.UserMetadata)
	b = appendOptPlain(b, "username", p.Username)
	b = appendOptPlain(b, "last_password_reset", p.LastPasswordReset)
	b = appendOptRaw(b, "app_metadata", p.AppMetadata)
	b = appendOptPlain(b, "last_ip", p.LastIP)
	b = appendOptPlain(b, "last_login", p.LastLogin)
	if p.LoginsCount != nil {
		b = append(b, `,"logins_count":`...)
		b = strconv.AppendInt(b, *p.LoginsCount, 10)
	}
	// Every attribute above starts with a comma: the first one's goes.
	b = append(b[:start+1], b[start+2:]...)
	return append(b, '}')
}

func appendIdentities(b []byte, ids []userport.Identity) []byte {
	if ids == nil {
		return append(b, `,"identities":null`...)
	}
	b = append(b, `,"identities":[`...)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"connection":`...)
		b = appendString(b, id.Connection)
		b = appendPlainField(b, "user_id", id.UserID)
		b = appendPlainField(b, "provider", id.Provider)
		b = append(b, `,"isSocial":`...)
		b = appendBool(b, id.IsSocial)
		b = append(b, '}')
	}
	return append(b, ']')
}

func appendOptString(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	return appendField(b, key, v)
}

func appendOptPlain(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	return appendPlainField(b, key, v)
}

func appendOptBool(b []byte, key string, v *bool) []byte {
	if v == nil {
		return b
	}
	b = append(b, ',')
	b = appendKey(b, key)
	return appendBool(b, *v)
}

func appendOptRaw(b []byte, key string, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	b = append(b, ',')
	b = appendKey(b, key)
	return append(b, v...)
}
