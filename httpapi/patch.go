package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
)

// patchStrings are the string attributes PATCH may set (or remove with null),
// with their maximum lengths.
var patchStrings = []struct {
	key    string
	maxLen int
}{{"email", 254}, {"username", 128}, {"name", 300}, {"given_name", 150},
	{"family_name", 150}, {"nickname", 300}, {"picture", 2048}, {"phone_number", 30}}

// patchBools are the boolean attributes PATCH may set (or remove with null).
var patchBools = []string{"email_verified", "phone_verified", "blocked"}

// updateUser handles PATCH /api/v2/users/{id}: attributes are replaced,
// user_metadata and app_metadata merged at the top level (null removes a key).
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) error {
	id, err := userIDParam(r)
	if err != nil {
		return err
	}
	o, err := readObject(w, r, userPatchKeys...)
	if err != nil {
		return err
	}
	if len(o) == 0 {
		return invalidBody("'Too few properties defined (0), minimum 1'.")
	}
	if o.isNull("email") { // a database user keeps an email
		return typeError("email", "string", o["email"])
	}
	if err := checkIgnoredPatchKeys(o); err != nil {
		return err
	}
	u, err := s.Store.FindUser(r.Context(), s.Tenant, id)
	if err != nil {
		return err
	}
	if err := s.applyPatch(u, o); err != nil {
		return err
	}
	if err := s.Store.UpdateUser(r.Context(), u); err != nil {
		return err
	}
	writeRaw(w, http.StatusOK, u.Doc)
	return nil
}

// checkIgnoredPatchKeys type-checks the keys PATCH accepts but does not act on
// (userport sends no email or text messages).
func checkIgnoredPatchKeys(o object) error {
	var s string
	var b *bool
	return firstError(o.str("connection", &s, 128), o.str("client_id", &s, 128),
		o.boolean("verify_email", &b), o.boolean("verify_phone_number", &b))
}

// applyPatch changes u's document, columns and password as o says.
func (s *Server) applyPatch(u *userport.User, o object) error {
	doc := map[string]json.RawMessage{}
	if err := json.Unmarshal(u.Doc, &doc); err != nil {
		return fmt.Errorf("decode stored user %s: %w", u.UserID, err)
	}
	if err := patchDoc(doc, o); err != nil {
		return err
	}
	if o.has("password") {
		var pw string
		if err := firstError(o.str("password", &pw, 0), checkPassword(pw)); err != nil {
			return err
		}
		hash, err := auth.HashPassword(pw)
		if err != nil {
			return err
		}
		u.PasswordHash = hash
	}
	now := s.Clock.Now()
	doc["updated_at"], _ = json.Marshal(userport.FormatTime(now))
	b, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("encode user %s: %w", u.UserID, err)
	}
	u.Doc, u.UpdatedAt = b, now
	u.Email, u.Username = strings.ToLower(stringOf(doc["email"])), stringOf(doc["username"])
	return nil
}

// patchDoc applies o's attributes to doc.
func patchDoc(doc map[string]json.RawMessage, o object) error {
	for _, f := range patchStrings {
		if err := patchValue(doc, o, f.key, func() (any, error) {
			var v string
			err := o.str(f.key, &v, f.maxLen)
			if err == nil && f.key == "email" {
				err, v = checkEmail(o, &v), strings.ToLower(v)
			}
			if err == nil && f.key == "picture" {
				err = checkPicture(o, v)
			}
			return v, err
		}); err != nil {
			return err
		}
	}
	for _, key := range patchBools {
		if err := patchValue(doc, o, key, func() (any, error) {
			var v *bool
			return v, o.boolean(key, &v)
		}); err != nil {
			return err
		}
	}
	for _, key := range []string{"user_metadata", "app_metadata"} {
		if err := mergeMetadata(doc, o, key); err != nil {
			return err
		}
	}
	return nil
}

// patchValue sets doc[key] to the value read, or removes it for null.
func patchValue(doc map[string]json.RawMessage, o object, key string, read func() (any, error)) error {
	if !o.has(key) {
		return nil
	}
	if o.isNull(key) {
		delete(doc, key)
		return nil
	}
	v, err := read()
	if err != nil {
		return err
	}
	doc[key], err = json.Marshal(v)
	return err
}

// mergeMetadata merges o[key] into doc[key] at the top level: null values
// remove keys, an empty object (or null) clears the whole attribute.
func mergeMetadata(doc map[string]json.RawMessage, o object, key string) error {
	if !o.has(key) {
		return nil
	}
	var patch json.RawMessage
	if !o.isNull(key) {
		if err := o.jsonObject(key, &patch); err != nil {
			return err
		}
	}
	next := map[string]json.RawMessage{}
	if err := json.Unmarshal(patch, &next); err != nil || len(next) == 0 {
		delete(doc, key)
		return nil
	}
	merged := map[string]json.RawMessage{}
	if old, ok := doc[key]; ok {
		_ = json.Unmarshal(old, &merged) // a non-object old value is replaced
	}
	for k, v := range next {
		if jsonType(v) == "null" {
			delete(merged, k)
		} else {
			merged[k] = v
		}
	}
	var err error
	doc[key], err = json.Marshal(merged)
	return err
}

// stringOf decodes a raw JSON string, "" for anything else.
func stringOf(raw json.RawMessage) string {
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}
