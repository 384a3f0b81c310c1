package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
)

// patchStrings are the string attributes PATCH may set (or remove with
// null); their limits and formats are the domain's attribute table.
var patchStrings = []string{"email", "username", "name", "given_name", "family_name", "nickname", "picture", "phone_number"}

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
	return firstError(o.str("connection", &s, userport.MaxConnectionNameLength), o.str("client_id", &s, 128),
		o.boolean("verify_email", &b), o.boolean("verify_phone_number", &b))
}

// applyPatch changes u's document, columns and password as o says. The
// stored document keeps its bytes except for what changes; a new password
// sets last_password_reset, as Auth0 does.
func (s *Server) applyPatch(u *userport.User, o object) error {
	edits, err := patchEdits(u, o)
	if err != nil {
		return err
	}
	now := s.Clock.Now()
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
		stamp, _ := userport.EncodeValue(userport.FormatTime(now))
		edits = append(edits, userport.Member{Key: "last_password_reset", Value: stamp})
	}
	return u.Edit(now, edits...)
}

// patchEdits reads o's attributes as edits of u's document.
func patchEdits(u *userport.User, o object) ([]userport.Member, error) {
	var edits []userport.Member
	for _, key := range patchStrings {
		if err := patchValue(&edits, o, key, func() (any, error) {
			var v string
			err := o.attr(key, &v)
			if key == "email" {
				v = strings.ToLower(v) // Auth0 keeps emails lower-cased
			}
			return v, err
		}); err != nil {
			return nil, err
		}
	}
	for _, key := range patchBools {
		if err := patchValue(&edits, o, key, func() (any, error) {
			var v *bool
			return v, o.boolean(key, &v)
		}); err != nil {
			return nil, err
		}
	}
	var old struct {
		UserMetadata json.RawMessage `json:"user_metadata"`
		AppMetadata  json.RawMessage `json:"app_metadata"`
	}
	if err := json.Unmarshal(u.Doc, &old); err != nil {
		return nil, fmt.Errorf("decode stored user %s: %w", u.UserID, err)
	}
	if err := firstError(mergeMetadata(&edits, o, "user_metadata", old.UserMetadata),
		mergeMetadata(&edits, o, "app_metadata", old.AppMetadata)); err != nil {
		return nil, err
	}
	return edits, nil
}

// patchValue adds the edit of key to the value read, or its removal for null.
func patchValue(edits *[]userport.Member, o object, key string, read func() (any, error)) error {
	if !o.has(key) {
		return nil
	}
	if o.isNull(key) {
		*edits = append(*edits, userport.Member{Key: key})
		return nil
	}
	v, err := read()
	if err != nil {
		return err
	}
	raw, err := userport.EncodeValue(v)
	*edits = append(*edits, userport.Member{Key: key, Value: raw})
	return err
}

// mergeMetadata adds the edit that merges o[key] into the stored value at
// the top level: null values remove keys, an empty object (or null) clears
// the whole attribute.
func mergeMetadata(edits *[]userport.Member, o object, key string, stored json.RawMessage) error {
	if !o.has(key) {
		return nil
	}
	var patch json.RawMessage
	if !o.isNull(key) {
		if err := o.jsonObject(key, &patch); err != nil {
			return err
		}
	}
	merged, err := userport.MergeObject(stored, patch)
	if err != nil && patch != nil {
		return fmt.Errorf("merge %s: %w", key, err)
	}
	*edits = append(*edits, userport.Member{Key: key, Value: merged})
	return nil
}
