package httpapi

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"strings"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
)

// userBodyKeys are the keys POST /api/v2/users accepts.
var userBodyKeys = []string{"connection", "email", "password", "username", "name", "given_name",
	"family_name", "nickname", "picture", "email_verified", "verify_email", "phone_number",
	"phone_verified", "user_metadata", "app_metadata", "blocked", "user_id"}

// userPatchKeys are the keys PATCH /api/v2/users/{id} accepts.
var userPatchKeys = []string{"connection", "email", "password", "username", "name", "given_name",
	"family_name", "nickname", "picture", "email_verified", "verify_email", "phone_number",
	"phone_verified", "user_metadata", "app_metadata", "blocked", "client_id", "verify_phone_number"}

// minPasswordLength is userport's password policy (Auth0's "fair" length).
const minPasswordLength = 8

// createUser handles POST /api/v2/users.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	o, err := readObject(w, r, userBodyKeys...)
	if err != nil {
		return err
	}
	if err := o.require("connection"); err != nil {
		return err
	}
	p, password, conn, err := s.newProfile(r, o)
	if err != nil {
		return err
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	u, err := userport.UserFromProfile(s.Tenant, conn.ID, hash, p)
	if err != nil {
		return err
	}
	if err := s.Store.CreateUsers(r.Context(), u); err != nil {
		return err
	}
	writeRaw(w, http.StatusCreated, u.Doc)
	return nil
}

// newProfile validates a create-user body and builds the profile.
func (s *Server) newProfile(r *http.Request, o object) (*userport.Profile, string, *userport.Connection, error) {
	var p userport.Profile
	var connName, password, userID string
	var verifyEmail *bool
	if err := readProfileFields(o, &p, &connName, &password); err != nil {
		return nil, "", nil, err
	}
	if err := firstError(o.str("user_id", &userID, 0), o.boolean("verify_email", &verifyEmail)); err != nil {
		return nil, "", nil, err
	}
	conn, err := s.findConnectionForBody(r, connName)
	if err != nil {
		return nil, "", nil, err
	}
	if err := o.require("email", "password"); err != nil {
		return nil, "", nil, err
	}
	if err := checkPassword(password); err != nil {
		return nil, "", nil, err
	}
	id, err := newUserID(userID, s.Clock)
	if err != nil {
		return nil, "", nil, err
	}
	now := userport.FormatTime(s.Clock.Now())
	p.UserID, p.CreatedAt, p.UpdatedAt = id, now, now
	p.Email = strings.ToLower(p.Email) // Auth0 keeps emails lower-cased
	p.Identities = []userport.Identity{userport.DatabaseIdentity(conn, id)}
	p.FillDefaults()
	return &p, password, conn, nil
}

// readProfileFields reads the profile attributes shared by create and update.
func readProfileFields(o object, p *userport.Profile, conn, password *string) error {
	return firstError(
		o.str("connection", conn, userport.MaxConnectionNameLength),
		o.attr("email", &p.Email),
		o.str("password", password, 0),
		o.attr("username", &p.Username),
		o.attr("name", &p.Name),
		o.attr("given_name", &p.GivenName),
		o.attr("family_name", &p.FamilyName),
		o.attr("nickname", &p.Nickname),
		o.attr("picture", &p.Picture),
		o.attr("phone_number", &p.PhoneNumber),
		o.boolean("email_verified", &p.EmailVerified),
		o.boolean("phone_verified", &p.PhoneVerified),
		o.boolean("blocked", &p.Blocked),
		o.jsonObject("user_metadata", &p.UserMetadata),
		o.jsonObject("app_metadata", &p.AppMetadata),
	)
}

// firstError returns the first non-nil error.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// checkPassword applies the password policy.
func checkPassword(pw string) error {
	if len(pw) < minPasswordLength {
		return userport.Errorf(userport.EINVALID, "invalid_password", "PasswordStrengthError: Password is too weak")
	}
	if len(pw) > userport.MaxPasswordBytes {
		return userport.Errorf(userport.EINVALID, "invalid_password", "PasswordStrengthError: Password is too long")
	}
	return nil
}

// newUserID returns the given id with the "auth0|" prefix, or a new one.
func newUserID(given string, clock userport.Clock) (string, error) {
	if given == "" {
		return userport.NewUserID(clock.Now()), nil
	}
	id, issue := userport.DatabaseUserID(given)
	if issue != nil {
		return "", issueError("user_id", issue)
	}
	return id, nil
}

// findConnectionForBody finds a connection named in a request body: an unknown
// name is a 400, as Auth0 answers it.
func (s *Server) findConnectionForBody(r *http.Request, name string) (*userport.Connection, error) {
	c, err := s.Store.FindConnectionByName(r.Context(), s.Tenant, name)
	if userport.ErrorCode(err) == userport.ENOTFOUND {
		return nil, userport.Errorf(userport.EINVALID, "inexistent_connection", "The connection does not exist.")
	}
	return c, err
}

// userIDParam reads the {id} path parameter, checked by the one user_id
// rule (userport.CheckUserID) that bodies and imports obey too.
func userIDParam(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if issue := userport.CheckUserID(id); issue != nil {
		return "", userport.Errorf(userport.EINVALID, "invalid_uri",
			"Path validation error: '%s' on property id (Id of the user).", issue.Message)
	}
	return id, nil
}

// getUser handles GET /api/v2/users/{id}, with fields and include_fields.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request) error {
	id, err := userIDParam(r)
	if err != nil {
		return err
	}
	_, p, err := readQueryProjection(r)
	if err != nil {
		return err
	}
	u, err := s.Store.FindUser(r.Context(), s.Tenant, id)
	if err != nil {
		return err
	}
	doc, err := p.apply(u.Doc)
	if err != nil {
		return err
	}
	writeRaw(w, http.StatusOK, doc)
	return nil
}

// usersByEmail handles GET /api/v2/users-by-email: the users whose email is
// exactly the one given, of every connection, as an array. Like Auth0's,
// the match is case-sensitive; database users' emails are kept lower-cased.
func (s *Server) usersByEmail(w http.ResponseWriter, r *http.Request) error {
	q, p, err := readQueryProjection(r, "email")
	if err != nil {
		return err
	}
	if q.Get("email") == "" {
		return invalidQuery("'Missing required property: email'.")
	}
	users, err := s.Store.FindUsersByEmail(r.Context(), s.Tenant, q.Get("email"))
	if err != nil {
		return err
	}
	return writeUsers(w, users, p)
}

// writeUsers answers the array of users' documents, projected by p.
func writeUsers(w http.ResponseWriter, users []*userport.User, p projection) error {
	body, err := usersArray(users, p)
	if err != nil {
		return err
	}
	writeRaw(w, http.StatusOK, body)
	return nil
}

// usersArray writes users' documents, projected by p, as a JSON array.
func usersArray(users []*userport.User, p projection) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, u := range users {
		if i > 0 {
			buf.WriteByte(',')
		}
		doc, err := p.apply(u.Doc)
		if err != nil {
			return nil, err
		}
		buf.Write(doc)
	}
	buf.WriteByte(']')
	return buf.Bytes(), nil
}

// deleteUser handles DELETE /api/v2/users/{id}. A user that does not exist
// (any more) is deleted already: 204, as Auth0 answers, so that cleanup
// scripts can retry.
func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) error {
	id, err := userIDParam(r)
	if err != nil {
		return err
	}
	if err := s.Store.DeleteUser(r.Context(), s.Tenant, id); err != nil && userport.ErrorCode(err) != userport.ENOTFOUND {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listUsers handles GET /api/v2/users.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	q, proj, err := readQueryProjection(r, "page", "per_page", "include_totals", "connection", "search_engine", "q", "sort")
	if err != nil {
		return err
	}
	page, perPage, totals, err := readPaging(q)
	if err != nil {
		return err
	}
	f := userport.UserFilter{Tenant: s.Tenant, Offset: page * perPage, Limit: perPage}
	users, total, err := s.findUsers(r, q, f, totals)
	if err != nil {
		return err
	}
	body, err := usersArray(users, proj)
	if err != nil {
		return err
	}
	if !totals {
		writeRaw(w, http.StatusOK, body)
		return nil
	}
	writeJSON(w, http.StatusOK, pageOf("users", f.Offset, perPage, len(users), total, json.RawMessage(body)))
	return nil
}

// usersOf lists users, of the named connection when name is not empty (an
// unknown connection has no users), and counts those the filter matches
// when totals is set: counting costs a pass over an index (about 50 ms at
// 1,000,000 users), so a plain page does not pay for it.
func (s *Server) usersOf(r *http.Request, name string, f userport.UserFilter, totals bool) ([]*userport.User, int, error) {
	if name != "" {
		c, err := s.Store.FindConnectionByName(r.Context(), s.Tenant, name)
		if userport.ErrorCode(err) == userport.ENOTFOUND {
			return nil, 0, nil
		} else if err != nil {
			return nil, 0, err
		}
		f.ConnectionID = c.ID
	}
	users, err := s.Store.ListUsers(r.Context(), f)
	if err != nil || !totals {
		return users, 0, err
	}
	total, err := s.Store.CountUsers(r.Context(), f.Tenant, f.ConnectionID)
	return users, int(total), err
}

// readPaging reads Auth0's page, per_page and include_totals parameters.
func readPaging(q query) (page, perPage int, totals bool, err error) {
	if page, err = q.integer("page", 0, 0, 0); err != nil {
		return
	}
	if perPage, err = q.integer("per_page", 50, 1, 100); err != nil {
		return
	}
	page = min(page, math.MaxInt/perPage) // far past the end either way; page*perPage must not overflow
	totals, err = q.boolean("include_totals")
	return
}

// pageOf builds the include_totals=true answer, the items under name.
func pageOf(name string, start, limit, length, total int, items any) map[string]any {
	return map[string]any{"start": start, "limit": limit, "length": length, "total": total, name: items}
}
