package userport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Member is one key of a JSON object and its raw value; an empty (nil)
// Value in an edit removes the key.
type Member struct {
	Key   string
	Value json.RawMessage
}

// EncodeValue encodes v as JSON as Auth0 writes it: HTML characters stay as
// they are ("&" in a picture URL is "&", not "\u0026").
func EncodeValue(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// objectMembers splits a JSON object into its members, each value's bytes
// as they are in obj.
func objectMembers(obj []byte) ([]Member, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object")
	}
	var members []Member
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		members = append(members, Member{Key: t.(string), Value: v})
	}
	return members, nil
}

// writeObject writes members as one compact JSON object.
func writeObject(members []Member) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := EncodeValue(m.Key)
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(m.Value)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// setMember sets key in members, in place when present (a key twice is
// set once, at its first place); a new key goes before the first member
// that place(key) says comes after it (at the end when place is nil). A nil
// (empty) value removes key.
func setMember(members []Member, key string, value json.RawMessage, place func(string) int) []Member {
	found := false
	kept := members[:0]
	for _, m := range members {
		if m.Key != key {
			kept = append(kept, m)
			continue
		}
		if !found && len(value) > 0 {
			kept = append(kept, Member{key, value})
		}
		found = true
	}
	if found || len(value) == 0 {
		return kept
	}
	at := len(kept)
	if place != nil {
		for i, m := range kept {
			if place(m.Key) > place(key) {
				at = i
				break
			}
		}
	}
	return append(kept[:at], append([]Member{{key, value}}, kept[at:]...)...)
}

// EditDocument returns the profile document doc with edits applied: every
// member not edited keeps its bytes and its place, a new key goes where
// Auth0's key order puts it, a nil value removes the key. A key that is
// not valid UTF-8 is an error: written as JSON it would become another key.
func EditDocument(doc []byte, edits ...Member) ([]byte, error) {
	members, err := objectMembers(doc)
	if err != nil {
		return nil, fmt.Errorf("edit document: %w", err)
	}
	for _, e := range edits {
		if !utf8.ValidString(e.Key) {
			return nil, fmt.Errorf("edit document: key %q is not valid UTF-8", e.Key)
		}
		members = setMember(members, e.Key, e.Value, keyRank)
	}
	return writeObject(members)
}

// MergeObject merges the object patch into the object old at the top
// level, as PATCH merges metadata: a null value removes the key, others
// replace it in place or are added at the end. An empty patch, or a result
// with no keys, is nil: the attribute goes.
func MergeObject(old, patch json.RawMessage) (json.RawMessage, error) {
	next, err := objectMembers(patch)
	if err != nil || len(next) == 0 {
		return nil, err
	}
	merged, err := objectMembers(old)
	if err != nil {
		merged = nil // a missing or non-object old value is replaced
	}
	for _, m := range next {
		if string(bytes.TrimSpace(m.Value)) == "null" {
			m.Value = nil
		}
		merged = setMember(merged, m.Key, m.Value, nil)
	}
	if len(merged) == 0 {
		return nil, nil
	}
	return writeObject(merged)
}

// Edit applies edits to u's document as a change made at now: updated_at
// is set, and the email and username columns follow the document.
func (u *User) Edit(now time.Time, edits ...Member) error {
	stamp, _ := EncodeValue(FormatTime(now))
	doc, err := EditDocument(u.Doc, append(edits, Member{"updated_at", stamp})...)
	if err != nil {
		return fmt.Errorf("user %s: %w", u.UserID, err)
	}
	var cols struct {
		Email    string `json:"email"`
		Username string `json:"username"`
	}
	if err := json.Unmarshal(doc, &cols); err != nil {
		return fmt.Errorf("user %s: %w", u.UserID, err)
	}
	u.Doc, u.UpdatedAt = doc, now
	u.Email, u.Username = strings.ToLower(cols.Email), cols.Username
	return nil
}

// SelectMembers returns the object doc with only the keys listed (include)
// or all but them (!include), in doc's order and bytes: Auth0's fields and
// include_fields parameters.
func SelectMembers(doc []byte, keys []string, include bool) ([]byte, error) {
	members, err := objectMembers(doc)
	if err != nil {
		return nil, fmt.Errorf("select members: %w", err)
	}
	kept := members[:0]
	for _, m := range members {
		if slices.Contains(keys, m.Key) == include {
			kept = append(kept, m)
		}
	}
	return writeObject(kept)
}
