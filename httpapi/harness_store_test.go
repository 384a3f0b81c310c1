package httpapi_test

// What tests read and write behind the API, through the store's own methods.

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
)

// ctx is the context of the checks made behind the API.
func (e *env) ctx() context.Context { return e.t.Context() }

// connection returns the named connection from the store.
func (e *env) connection(name string) *userport.Connection {
	e.t.Helper()
	c, err := e.Store.FindConnectionByName(e.ctx(), e.tenant, name)
	if err != nil {
		e.t.Fatalf("find connection %s: %v", name, err)
	}
	return c
}

// createConnection creates a database connection through the API and
// returns its id.
func (e *env) createConnection(name string) string {
	e.t.Helper()
	r := e.admin(http.MethodPost, "/connections", map[string]any{"name": name, "strategy": "auth0"})
	r.wantStatus(e.t, http.StatusCreated)
	return r.object(e.t)["id"].(string)
}

// storedUser returns the user from the store.
func (e *env) storedUser(id string) *userport.User {
	e.t.Helper()
	u, err := e.Store.FindUser(e.ctx(), e.tenant, id)
	if err != nil {
		e.t.Fatalf("find user %s: %v", id, err)
	}
	return u
}

// userCount counts the tenant's users in the store.
func (e *env) userCount() int64 {
	e.t.Helper()
	n, err := e.Store.CountUsers(e.ctx(), e.tenant, "")
	must(e.t, err)
	return n
}

// putUsers writes users straight into the store (no bcrypt): user i of the
// list gets the id auth0|<24 hex digits of first+i> and the email
// user<first+i>@example.com, in the connection conn.
func (e *env) putUsers(conn *userport.Connection, first, n int) []string {
	e.t.Helper()
	ids := make([]string, n)
	profiles := make([]*userport.Profile, n)
	now := userport.FormatTime(e.Clock.Now())
	for i := range n {
		hex := fmt.Sprintf("%024x", first+i)
		profiles[i] = &userport.Profile{UserID: "auth0|" + hex, Email: fmt.Sprintf("user%d@example.com", first+i),
			CreatedAt: now, UpdatedAt: now, Identities: []userport.Identity{{Connection: conn.Name, Provider: "auth0", UserID: hex}}}
		ids[i] = profiles[i].UserID
	}
	e.putProfiles(conn, profiles...)
	return ids
}

// putProfiles writes profiles straight into the store, in connection conn.
func (e *env) putProfiles(conn *userport.Connection, profiles ...*userport.Profile) {
	e.t.Helper()
	users := make([]*userport.User, len(profiles))
	for i, p := range profiles {
		u, err := userport.UserFromProfile(e.tenant, conn.ID, "", p)
		must(e.t, err)
		users[i] = u
	}
	must(e.t, e.Store.CreateUsers(e.ctx(), users...))
}

// seed writes n users of `userport seed` into the default connection.
func (e *env) seed(n int) {
	e.t.Helper()
	testutil.Seed(e.t, e.Store, e.tenant, e.connection(upa), n)
}

// docs returns the stored documents of the connection (every connection
// when connID is ""), in user_id order, read page by page.
func (e *env) docs(connID string) (ids []string, docs [][]byte) {
	e.t.Helper()
	testutil.EachUser(e.t, e.Store, userport.UserScan{Tenant: e.tenant, ConnectionID: connID, Limit: 5000},
		func(id string, doc []byte) {
			ids, docs = append(ids, id), append(docs, bytes.Clone(doc))
		})
	return ids, docs
}

// countJobs counts the tenant's jobs in the store that f selects (its
// Tenant set here).
func (e *env) countJobs(f userport.JobFilter) int {
	e.t.Helper()
	f.Tenant = e.tenant
	n, err := e.Store.CountJobs(e.ctx(), f)
	must(e.t, err)
	return n
}

// storedJob reads a job from the store.
func (e *env) storedJob(id string) (*userport.Job, error) {
	return e.Store.FindJob(e.ctx(), e.tenant, id)
}
