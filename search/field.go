package search

import (
	"strings"

	"github.com/userport/userport"
	"github.com/userport/userport/fieldpath"
)

// field is a searchable field of the profile.
type field struct {
	name   string   // as the query names it
	path   []string // keys into the document; "[n]" for an array index
	fold   bool     // compared case-insensitively
	date   bool     // values are timestamps
	meta   bool     // user_metadata / app_metadata: no wildcards, no ranges
	domain bool     // email.domain: the part of email after its last '@'
}

// rootFields are the profile's root attributes that may be searched, and
// whether each is case-insensitive or a date.
var rootFields = map[string]struct{ fold, date bool }{
	"user_id": {}, "email": {fold: true}, "email_verified": {}, "username": {},
	"phone_number": {}, "phone_verified": {}, "name": {fold: true}, "given_name": {fold: true},
	"family_name": {fold: true}, "nickname": {fold: true}, "picture": {}, "created_at": {date: true},
	"updated_at": {date: true}, "last_login": {date: true}, "last_password_reset": {date: true},
	"last_ip": {}, "logins_count": {}, "blocked": {}, "identities": {}, "multifactor": {},
	"user_metadata": {}, "app_metadata": {}, "organization_id": {},
}

// defaultFields are the fields a term without a field name is matched
// against (never the metadata).
var defaultFields = []*field{
	mustField("user_id"), mustField("email"), mustField("username"), mustField("name"),
	mustField("given_name"), mustField("family_name"), mustField("nickname"), mustField("phone_number"),
}

func mustField(name string) *field {
	f, err := lookupField(name, 1)
	if err != nil {
		panic(err)
	}
	return f
}

// lookupField checks a field name written at pos and returns its field.
func lookupField(name string, pos int) (*field, error) {
	switch name {
	case "email.domain":
		return &field{name: name, path: []string{"email"}, fold: true, domain: true}, nil
	case "connection", "identities.connection":
		// A user's connection is its own (first) identity's: the store
		// indexes that one (see docs/api.md).
		return &field{name: name, path: []string{"identities", "[0]", "connection"}}, nil
	}
	p, err := fieldpath.Parse(name)
	if err != nil {
		return nil, errorAt(pos, "invalid field name %q", userport.Excerpt(name))
	}
	root, ok := rootFields[p.Root()]
	if !ok {
		return nil, errorAt(pos, "filter can not be used with unknown field: %s", userport.Excerpt(name))
	}
	f := &field{name: name, fold: root.fold && p.IsRoot(), date: root.date && p.IsRoot(),
		meta: p.Root() == "user_metadata" || p.Root() == "app_metadata"}
	for _, s := range p.Segments() {
		f.path = append(f.path, s.String())
	}
	return f, nil
}

// normalize lower-cases s when the field compares case-insensitively.
func (f *field) normalize(s string) string {
	if f.fold {
		return strings.ToLower(s)
	}
	return s
}
