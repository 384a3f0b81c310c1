package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/buger/jsonparser"

	"github.com/userport/userport"
)

// attrSet is a set of the profile attributes a record gives.
type attrSet uint32

// The attributes an upsert copies onto an existing user, and the password.
const (
	attrEmail attrSet = 1 << iota
	attrEmailVerified
	attrUsername
	attrPhoneNumber
	attrPhoneVerified
	attrName
	attrGivenName
	attrFamilyName
	attrNickname
	attrPicture
	attrIdentities
	attrUserMetadata
	attrAppMetadata
	attrBlocked
	attrCreatedAt
	attrLastLogin
	attrLastIP
	attrLoginsCount
	attrPasswordHash
)

// has reports whether a is in s.
func (s attrSet) has(a attrSet) bool { return s&a != 0 }

// stringAttrs are the plain string attributes: their bit and place in the
// profile (their limits and formats are the domain's attribute table).
var stringAttrs = map[string]struct {
	bit   attrSet
	field func(p *userport.Profile) *string
}{
	"username":     {attrUsername, func(p *userport.Profile) *string { return &p.Username }},
	"phone_number": {attrPhoneNumber, func(p *userport.Profile) *string { return &p.PhoneNumber }},
	"name":         {attrName, func(p *userport.Profile) *string { return &p.Name }},
	"given_name":   {attrGivenName, func(p *userport.Profile) *string { return &p.GivenName }},
	"family_name":  {attrFamilyName, func(p *userport.Profile) *string { return &p.FamilyName }},
	"nickname":     {attrNickname, func(p *userport.Profile) *string { return &p.Nickname }},
	"picture":      {attrPicture, func(p *userport.Profile) *string { return &p.Picture }},
}

// boolAttrs are the boolean attributes.
var boolAttrs = map[string]struct {
	bit   attrSet
	field func(p *userport.Profile) **bool
}{
	"email_verified": {attrEmailVerified, func(p *userport.Profile) **bool { return &p.EmailVerified }},
	"phone_verified": {attrPhoneVerified, func(p *userport.Profile) **bool { return &p.PhoneVerified }},
	"blocked":        {attrBlocked, func(p *userport.Profile) **bool { return &p.Blocked }},
}

// bcryptPattern is the shape of a bcrypt password_hash.
var bcryptPattern = regexp.MustCompile(`^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$`)

// hashAlgorithms are the custom_password_hash algorithms Auth0 takes.
var hashAlgorithms = []string{"argon2", "bcrypt", "hmac", "ldap", "md4", "md5", "sha1", "sha256", "sha512", "pbkdf2", "scrypt"}

// attribute reads one root attribute of a record.
func (r *record) attribute(key string, v []byte, t jsonparser.ValueType) {
	if a, ok := stringAttrs[key]; ok {
		if s, ok := r.attr(key, v, t); ok {
			*a.field(&r.p), r.given = s, r.given|a.bit
		}
		return
	}
	if a, ok := boolAttrs[key]; ok {
		if b, ok := r.boolean(key, v, t); ok {
			*a.field(&r.p), r.given = &b, r.given|a.bit
		}
		return
	}
	switch key {
	case "email":
		r.email(v, t)
	case "user_id":
		r.userID(v, t)
	case "user_metadata":
		r.object(key, v, t, &r.p.UserMetadata, attrUserMetadata)
	case "app_metadata":
		r.object(key, v, t, &r.p.AppMetadata, attrAppMetadata)
	case "created_at":
		r.date(key, v, t, &r.p.CreatedAt, attrCreatedAt)
	case "last_login":
		r.date(key, v, t, &r.p.LastLogin, attrLastLogin)
	case "updated_at": // checked, then set anew
		var ignored string
		r.date(key, v, t, &ignored, 0)
	default:
		r.other(key, v, t)
	}
}

// other reads the attributes that are not simple values.
func (r *record) other(key string, v []byte, t jsonparser.ValueType) {
	switch key {
	case "last_ip":
		r.ip(v, t)
	case "logins_count":
		r.loginsCount(v, t)
	case "identities":
		r.identities(v, t)
	case "password_hash":
		r.passwordHash(v, t)
	case "custom_password_hash":
		r.customHash(v, t)
	case "mfa_factors": // Auth0's schema has it; userport has no MFA
		r.typed(key, v, t, jsonparser.Array)
	default:
		r.issue(userport.ImportAdditionalProperties, key, "Additional properties not allowed: %s", key)
	}
}

// typed reports whether the value has type want, recording the issue if not.
func (r *record) typed(path string, v []byte, t, want jsonparser.ValueType) bool {
	if t == want {
		return true
	}
	r.issue(userport.ImportInvalidType, path, "Expected type %s but found type %s", typeName(want, nil), typeName(t, v))
	return false
}

// str reads a string of 1 to maxLen characters (0: no maximum).
func (r *record) str(path string, v []byte, t jsonparser.ValueType, maxLen int) (string, bool) {
	if !r.typed(path, v, t, jsonparser.String) {
		return "", false
	}
	s, err := jsonparser.ParseString(v)
	if err != nil {
		r.issue(userport.ImportInvalidFormat, path, "Invalid string: %v", err)
		return "", false
	}
	if is := userport.CheckLength(s, maxLen); is != nil {
		r.issue(is.Code, path, "%s", is.Message)
		return "", false
	}
	return s, true
}

// attr reads a string of the profile attribute key, checked as the
// domain's attribute table says.
func (r *record) attr(key string, v []byte, t jsonparser.ValueType) (string, bool) {
	s, ok := r.str(key, v, t, 0)
	if !ok {
		return "", false
	}
	a, _ := userport.ProfileAttribute(key)
	if is := a.CheckString(s); is != nil {
		r.issue(is.Code, key, "%s", is.Message)
		return "", false
	}
	return s, true
}

// boolean reads a boolean.
func (r *record) boolean(path string, v []byte, t jsonparser.ValueType) (bool, bool) {
	if !r.typed(path, v, t, jsonparser.Boolean) {
		return false, false
	}
	return v[0] == 't', true
}

// email reads the required email, lower-cased as Auth0 keeps it.
func (r *record) email(v []byte, t jsonparser.ValueType) {
	if s, ok := r.attr("email", v, t); ok {
		r.p.Email, r.given = strings.ToLower(s), r.given|attrEmail
	}
}

// userID reads user_id, given with or without the "auth0|" prefix.
func (r *record) userID(v []byte, t jsonparser.ValueType) {
	s, ok := r.str("user_id", v, t, 0)
	if !ok {
		return
	}
	id, is := userport.DatabaseUserID(s)
	if is != nil {
		r.issue(is.Code, "user_id", "%s", is.Message)
		return
	}
	r.idPart = strings.TrimPrefix(id, "auth0|")
}

// object reads a metadata object, kept as given.
func (r *record) object(path string, v []byte, t jsonparser.ValueType, dst *json.RawMessage, bit attrSet) {
	if r.typed(path, v, t, jsonparser.Object) {
		*dst, r.given = v, r.given|bit
	}
}

// date reads an ISO-8601 date, kept in Auth0's format (milliseconds, UTC).
func (r *record) date(path string, v []byte, t jsonparser.ValueType, dst *string, bit attrSet) {
	if !r.typed(path, v, t, jsonparser.String) {
		return
	}
	tm, err := time.Parse(time.RFC3339Nano, string(v))
	if err != nil {
		r.issue(userport.ImportInvalidFormat, path, "Object didn't pass validation for format date-time: %s", v)
		return
	}
	*dst, r.given = userport.FormatTime(tm), r.given|bit
}

// ip reads last_ip, an IPv4 or IPv6 address.
func (r *record) ip(v []byte, t jsonparser.ValueType) {
	if s, ok := r.attr("last_ip", v, t); ok {
		r.p.LastIP, r.given = s, r.given|attrLastIP
	}
}

// loginsCount reads logins_count, an integer >= 0.
func (r *record) loginsCount(v []byte, t jsonparser.ValueType) {
	const path = "logins_count"
	if !r.typed(path, v, t, jsonparser.Number) {
		return
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		r.issue(userport.ImportInvalidType, path, "Expected type integer but found type %s", typeName(t, v))
		return
	}
	if n < 0 {
		r.issue(userport.ImportMinimum, path, "Value %d is less than minimum 0", n)
		return
	}
	r.p.LoginsCount, r.given = &n, r.given|attrLoginsCount
}

// identities reads the identities array: the first is the user's own
// identity, set anew for the target connection; the others are linked
// identities, kept as given.
func (r *record) identities(v []byte, t jsonparser.ValueType) {
	if !r.typed("identities", v, t, jsonparser.Array) {
		return
	}
	r.given |= attrIdentities
	i := 0
	_, _ = jsonparser.ArrayEach(v, func(item []byte, t jsonparser.ValueType, _ int, _ error) {
		path := fmt.Sprintf("identities[%d]", i)
		if r.typed(path, item, t, jsonparser.Object) && i > 0 {
			r.linkedIdentity(path, item)
		}
		i++
	})
}

// linkedIdentity reads one linked identity.
func (r *record) linkedIdentity(path string, v []byte) {
	var id userport.Identity
	var have attrSet
	_ = jsonparser.ObjectEach(v, func(key, val []byte, t jsonparser.ValueType, _ int) error {
		k := string(key)
		p := path + "." + k
		switch k {
		case "connection":
			id.Connection, have = r.required(p, val, t, have, 1)
		case "provider":
			id.Provider, have = r.required(p, val, t, have, 2)
		case "user_id":
			id.UserID, have = r.required(p, val, t, have, 4)
		case "isSocial":
			id.IsSocial, _ = r.boolean(p, val, t)
		default:
			r.issue(userport.ImportAdditionalProperties, p, "Additional properties not allowed: %s", k)
		}
		return nil
	})
	for i, k := range []string{"connection", "provider", "user_id"} {
		if !have.has(1<<i) && !r.failed(path+"."+k) {
			r.issue(userport.ImportMissingProperty, path+"."+k, "Missing required property: %s", k)
		}
	}
	r.linked = append(r.linked, id)
}

// required reads a required string of a linked identity, marking it present.
func (r *record) required(path string, v []byte, t jsonparser.ValueType, have, bit attrSet) (string, attrSet) {
	s, ok := r.str(path, v, t, 255)
	if ok {
		have |= bit
	}
	return s, have
}

// passwordHash reads a bcrypt password_hash.
func (r *record) passwordHash(v []byte, t jsonparser.ValueType) {
	s, ok := r.str("password_hash", v, t, 255)
	if !ok {
		return
	}
	if !bcryptPattern.MatchString(s) {
		r.issue(userport.ImportPattern, "password_hash", "String does not match pattern of a bcrypt hash ($2a$, $2b$ or $2y$)")
		return
	}
	r.hash, r.given = s, r.given|attrPasswordHash
}

// customHash reads custom_password_hash: an object with a known algorithm
// and hash.value, kept as given (compacted).
func (r *record) customHash(v []byte, t jsonparser.ValueType) {
	const path = "custom_password_hash"
	if !r.typed(path, v, t, jsonparser.Object) {
		return
	}
	before := len(r.issues)
	alg, at, _, _ := jsonparser.Get(v, "algorithm")
	switch {
	case at == jsonparser.NotExist:
		r.issue(userport.ImportMissingProperty, path+".algorithm", "Missing required property: algorithm")
	case r.typed(path+".algorithm", alg, at, jsonparser.String) && !slices.Contains(hashAlgorithms, string(alg)):
		r.issue(userport.ImportEnumMismatch, path+".algorithm", "No enum match for: %q", alg)
	}
	value, vt, _, _ := jsonparser.Get(v, "hash", "value")
	if vt == jsonparser.NotExist {
		r.issue(userport.ImportMissingProperty, path+".hash.value", "Missing required property: hash.value")
	} else {
		r.str(path+".hash.value", value, vt, 10000)
	}
	if len(r.issues) > before {
		return
	}
	var buf bytes.Buffer
	_ = json.Compact(&buf, v) // v is valid JSON: the reader checked the record
	r.custom = buf.Bytes()
}

// typeName names a JSON type as Auth0's schema validator does
// (userport.JSONType): numbers without a fraction or exponent are integers.
func typeName(t jsonparser.ValueType, v []byte) string {
	switch t {
	case jsonparser.String:
		return "string"
	case jsonparser.Number:
		if v == nil {
			return string(userport.TypeInteger)
		}
		return string(userport.JSONType(v))
	case jsonparser.Object:
		return "object"
	case jsonparser.Array:
		return "array"
	case jsonparser.Boolean:
		return "boolean"
	}
	return "null"
}

// overlay copies onto dst every attribute of src that s holds.
func (s attrSet) overlay(dst, src *userport.Profile) {
	for _, a := range stringAttrs {
		if s.has(a.bit) {
			*a.field(dst) = *a.field(src)
		}
	}
	for _, a := range boolAttrs {
		if s.has(a.bit) {
			*a.field(dst) = *a.field(src)
		}
	}
	copyIf := func(bit attrSet, f func()) {
		if s.has(bit) {
			f()
		}
	}
	copyIf(attrEmail, func() { dst.Email = src.Email })
	copyIf(attrUserMetadata, func() { dst.UserMetadata = src.UserMetadata })
	copyIf(attrAppMetadata, func() { dst.AppMetadata = src.AppMetadata })
	copyIf(attrCreatedAt, func() { dst.CreatedAt = src.CreatedAt })
	copyIf(attrLastLogin, func() { dst.LastLogin = src.LastLogin })
	copyIf(attrLastIP, func() { dst.LastIP = src.LastIP })
	copyIf(attrLoginsCount, func() { dst.LoginsCount = src.LoginsCount })
}
