package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/buger/jsonparser"

	"github.com/userport/userport"
	"github.com/userport/userport/jsonstrict"
)

// Builder turns the records of an import file into users of one connection,
// or into the per-user errors that say why they cannot be imported.
type Builder struct {
	Tenant     string
	Connection *userport.Connection
	// Now is every imported user's updated_at, and the created_at of users
	// the file gives none.
	Now time.Time
	// NewIDs drops each record's user_id (given or not, valid or not): every
	// user gets a new id, and its own identity (identities[0]) that id, so
	// that an export imports into another connection of its tenant. Linked
	// identities keep theirs: they name accounts elsewhere.
	NewIDs bool
}

// record is what Build learned from one record.
type record struct {
	p      userport.Profile // the attributes given, as given
	given  attrSet
	hash   string          // password_hash
	custom json.RawMessage // custom_password_hash
	linked []userport.Identity
	idPart string // user_id without "auth0|"
	issues []userport.ImportIssue
}

// Build validates the record at position n of the file. It returns the user
// to write, or the error that reports it.
func (b *Builder) Build(n int64, raw json.RawMessage) (*userport.ImportUser, *userport.ImportError) {
	var r record
	r.parse(raw)
	if b.NewIDs {
		r.forgetID()
	}
	if len(r.issues) > 0 {
		return nil, &userport.ImportError{Record: n, User: Mask(raw), Errors: r.issues}
	}
	u, err := b.user(&r)
	if err != nil { // only a profile json cannot encode; reported, never fatal
		return nil, &userport.ImportError{Record: n, User: Mask(raw), Errors: []userport.ImportIssue{
			{Code: userport.ImportInvalidFormat, Message: err.Error(), Path: ""}}}
	}
	iu := &userport.ImportUser{Record: n, User: u, CustomPasswordHash: r.custom,
		Echo: func() json.RawMessage { return Mask(raw) }}
	iu.Update = func(old *userport.User) (*userport.User, error) { return b.update(&r, old) }
	return iu, nil
}

// parse reads every attribute of raw, collecting the issues.
func (r *record) parse(raw []byte) {
	if t := userport.JSONType(raw); t != userport.TypeObject {
		r.issue(userport.ImportInvalidType, "", "Expected type object but found type %s", t)
		return
	}
	if !r.strict(raw) {
		return
	}
	err := jsonparser.ObjectEach(raw, func(key, value []byte, t jsonparser.ValueType, _ int) error {
		r.attribute(string(key), value, t)
		return nil
	})
	if err != nil {
		r.issue(userport.ImportInvalidType, "", "Expected type object but found malformed JSON")
		return
	}
	if !r.given.has(attrEmail) && !r.failed("email") {
		r.issue(userport.ImportMissingProperty, "email", "Missing required property: email")
	}
}

// strict reports whether raw is free of what a JSON decoder would read
// silently changed, recording the issue if not: a key twice in one object
// (at any depth) or invalid UTF-8. Such a record is not imported, rather
// than imported with one of its values chosen.
func (r *record) strict(raw []byte) bool {
	var dup *jsonstrict.DuplicateKeyError
	switch err := jsonstrict.Check(raw); {
	case err == nil:
		return true
	case errors.As(err, &dup):
		path := userport.Excerpt(dup.Path)
		r.issue(userport.ImportInvalidFormat, path, "Duplicate property: %s", path)
	case errors.Is(err, jsonstrict.ErrInvalidUTF8):
		r.issue(userport.ImportInvalidFormat, "", "Invalid JSON: the user is not valid UTF-8")
	default:
		r.issue(userport.ImportInvalidFormat, "", "Invalid JSON: %v", err)
	}
	return false
}

// shallowRecordBytes is the size under which a record cannot nest deep
// enough to endanger a recursive parser: 32,768 levels at most, a few MB of
// gjson's stack.
const shallowRecordBytes = 64 << 10

// tooDeepToValidate reports whether raw must not be handed to gjson's
// validator, which recurses once a nesting level (a 16 MiB record of
// brackets overflowed the goroutine's stack and killed the process): it is
// larger than shallowRecordBytes and nested deeper than the depth rule, so
// Build refuses it anyway. Records that small are not scanned twice.
func tooDeepToValidate(raw []byte) bool {
	return len(raw) > shallowRecordBytes && jsonstrict.TooDeep(raw)
}

// forgetID drops the record's user_id, and the issues it had.
func (r *record) forgetID() {
	r.idPart = ""
	r.issues = slices.DeleteFunc(r.issues, func(is userport.ImportIssue) bool { return is.Path == "user_id" })
}

// issue records one reason the record cannot be imported.
func (r *record) issue(code, path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = fmt.Sprintf("Error in %s property - %s", path, msg)
	}
	r.issues = append(r.issues, userport.ImportIssue{Code: code, Message: msg, Path: path})
}

// failed reports whether an issue names path.
func (r *record) failed(path string) bool {
	for _, is := range r.issues {
		if is.Path == path {
			return true
		}
	}
	return false
}

// user builds the user inserted for a valid record.
func (b *Builder) user(r *record) (*userport.User, error) {
	p := r.p
	id := "auth0|" + r.idPart
	if r.idPart == "" {
		id = userport.NewUserID(b.Now)
	}
	p.UserID = id
	p.Identities = append([]userport.Identity{b.identity(id)}, r.linked...)
	if !r.given.has(attrCreatedAt) {
		p.CreatedAt = userport.FormatTime(b.Now)
	}
	p.UpdatedAt = userport.FormatTime(b.Now)
	p.FillDefaults()
	return userport.UserFromProfile(b.Tenant, b.Connection.ID, r.hash, &p)
}

// identity is the database identity of user id in the target connection.
func (b *Builder) identity(id string) userport.Identity {
	return userport.DatabaseIdentity(b.Connection, id)
}

// update is what the existing user old becomes when the record matches it:
// every attribute the record gives replaces the stored one (metadata
// wholesale); old keeps its user_id, its own identity and, unless the record
// gives a password_hash, its password.
func (b *Builder) update(r *record, old *userport.User) (*userport.User, error) {
	var p userport.Profile
	if err := json.Unmarshal(old.Doc, &p); err != nil {
		return nil, fmt.Errorf("decode stored user %s: %w", old.UserID, err)
	}
	r.given.overlay(&p, &r.p)
	if r.given.has(attrIdentities) {
		own := b.identity(old.UserID)
		if len(p.Identities) > 0 {
			own = p.Identities[0]
		}
		p.Identities = append([]userport.Identity{own}, r.linked...)
	}
	p.UserID, p.UpdatedAt = old.UserID, userport.FormatTime(b.Now)
	hash := old.PasswordHash
	if r.given.has(attrPasswordHash) {
		hash = r.hash
	}
	return userport.UserFromProfile(old.Tenant, old.ConnectionID, hash, &p)
}
