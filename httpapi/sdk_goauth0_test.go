package httpapi_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/auth0/go-auth0"
	"github.com/auth0/go-auth0/management"

	"github.com/userport/userport/internal/testutil"
)

// goAuth0Version is the go-auth0 release whose recordings of real Auth0
// traffic the replay tests follow, and the client this test drives.
const goAuth0Version = "v1.27.0"

// goAuth0 returns a go-auth0 Management client of e's server.
func goAuth0(t *testing.T, e *env) *management.Management {
	t.Helper()
	m, err := management.New(strings.TrimPrefix(e.base, "http://"), management.WithInsecure(),
		management.WithStaticToken(e.adminToken()), management.WithNoRetries())
	if err != nil {
		t.Fatalf("go-auth0 %s: %v", goAuth0Version, err)
	}
	return m
}

// wantStatus fails unless err is a Management API error of status.
func wantSDKStatus(t *testing.T, what string, err error, status int) {
	t.Helper()
	var me management.Error
	if !errors.As(err, &me) || me.Status() != status {
		t.Errorf("%s: %v, want a %d", what, err, status)
	}
}

// TestGoAuth0SDK drives userport with go-auth0, as a migration script does:
// users listed with fields, looked up by email, searched, imported without an
// external id, changed, deleted twice; a connection created, updated and
// deleted.
func TestGoAuth0SDK(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.work(nil)
	m := goAuth0(t, e)
	ctx := t.Context()
	u := &management.User{Connection: auth0.String(upa), Email: auth0.String("sdk.go@example.com"),
		Password: auth0.String("Passwords hide"), UserMetadata: &map[string]interface{}{"plan": "pro"}}
	if err := m.User.Create(ctx, u); err != nil {
		t.Fatalf("User.Create: %v", err)
	}
	list, err := m.User.List(ctx, management.IncludeFields("user_id", "email"))
	if err != nil || list.Total != 1 || len(list.Users) != 1 {
		t.Fatalf("User.List with fields: %+v, %v", list, err)
	}
	if got := list.Users[0]; got.GetEmail() != "sdk.go@example.com" || got.GetID() != u.GetID() || got.Name != nil || got.Identities != nil {
		t.Errorf("User.List with fields user_id,email: %+v", got)
	}
	found, err := m.User.ListByEmail(ctx, "sdk.go@example.com")
	if err != nil || len(found) != 1 || found[0].GetID() != u.GetID() {
		t.Fatalf("User.ListByEmail: %v, %v", found, err)
	}
	other := &management.User{Connection: auth0.String(upa), Email: auth0.String("other.go@example.com"),
		Password: auth0.String("Passwords hide"), UserMetadata: &map[string]interface{}{"plan": "free"}}
	if err := m.User.Create(ctx, other); err != nil {
		t.Fatalf("User.Create: %v", err)
	}
	searches := []struct {
		q    string
		opts []management.RequestOption
		want []string
	}{
		{`email:"sdk.go@example.com"`, nil, []string{u.GetID()}},
		{`user_metadata.plan:free`, nil, []string{other.GetID()}},
		{`email:*.go@example.com OR NOT _exists_:email`, []management.RequestOption{management.Parameter("sort", "email:-1")},
			[]string{u.GetID(), other.GetID()}},
	}
	for _, s := range searches {
		res, err := m.User.Search(ctx, append([]management.RequestOption{management.Query(s.q)}, s.opts...)...)
		if err != nil {
			t.Fatalf("User.Search(%s): %v", s.q, err)
		}
		var ids []string
		for _, r := range res.Users {
			ids = append(ids, r.GetID())
		}
		if strings.Join(ids, " ") != strings.Join(s.want, " ") {
			t.Errorf("User.Search(%s) = %q, want %q", s.q, ids, s.want)
		}
	}
	_, err = m.User.Search(ctx, management.Query(`email:("unclosed`))
	wantSDKStatus(t, "User.Search with a syntax error", err, http.StatusBadRequest)
	if err := m.User.Delete(ctx, other.GetID()); err != nil {
		t.Fatalf("User.Delete: %v", err)
	}

	conn := e.connection(upa)
	job := &management.Job{ConnectionID: auth0.String(conn.ID), Upsert: auth0.Bool(true),
		SendCompletionEmail: auth0.Bool(false), Users: []map[string]interface{}{{"email": "imported.go@example.com", "email_verified": true}}}
	if err := m.Job.ImportUsers(ctx, job); err != nil {
		t.Fatalf("Job.ImportUsers without external_id: %v", err)
	}
	waitSDKJob(t, m, job.GetID())
	if found, err := m.User.ListByEmail(ctx, "imported.go@example.com"); err != nil || len(found) != 1 {
		t.Fatalf("the imported user: %v, %v", found, err)
	}

	if err := m.User.Update(ctx, u.GetID(), &management.User{Connection: auth0.String(upa), Password: auth0.String("Another password")}); err != nil {
		t.Fatalf("User.Update with a password: %v", err)
	}
	got, err := m.User.Read(ctx, u.GetID())
	if err != nil || got.LastPasswordReset == nil || got.GetUserMetadata()["plan"] != "pro" {
		t.Fatalf("User.Read after the password change: %+v, %v", got, err)
	}
	if err := m.User.Delete(ctx, u.GetID()); err != nil {
		t.Fatalf("User.Delete: %v", err)
	}
	if err := m.User.Delete(ctx, u.GetID()); err != nil {
		t.Errorf("User.Delete of a user gone already: %v, want none (204, as Auth0)", err)
	}
	_, err = m.User.Read(ctx, u.GetID())
	wantSDKStatus(t, "User.Read of a deleted user", err, http.StatusNotFound)

	c := &management.Connection{Name: auth0.String("go-sdk"), Strategy: auth0.String("auth0"),
		Options: &management.ConnectionOptions{RequiresUsername: auth0.Bool(true)}}
	if err := m.Connection.Create(ctx, c); err != nil {
		t.Fatalf("Connection.Create: %v", err)
	}
	err = m.Connection.Update(ctx, c.GetID(), &management.Connection{Options: &management.ConnectionOptions{
		BruteForceProtection: auth0.Bool(false), UpstreamParams: map[string]interface{}{"screen_name": map[string]interface{}{"alias": "login_hint"}}}})
	if err != nil {
		t.Fatalf("Connection.Update: %v", err)
	}
	read, err := m.Connection.Read(ctx, c.GetID())
	if err != nil {
		t.Fatalf("Connection.Read: %v", err)
	}
	opts, ok := read.Options.(*management.ConnectionOptions)
	if !ok || opts.GetBruteForceProtection() || opts.UpstreamParams == nil || opts.RequiresUsername != nil {
		t.Errorf("options after Connection.Update: %#v, want the new ones whole", read.Options)
	}
	if err := m.Connection.Delete(ctx, c.GetID()); err != nil {
		t.Fatalf("Connection.Delete: %v", err)
	}
	_, err = m.Connection.Read(ctx, c.GetID())
	wantSDKStatus(t, "Connection.Read of a deleted connection", err, http.StatusNotFound)
	if err := m.Connection.Delete(ctx, c.GetID()); err != nil {
		t.Errorf("Connection.Delete again: %v, want none (204)", err)
	}
}

// waitSDKJob polls a job through go-auth0 until it completes.
func waitSDKJob(t *testing.T, m *management.Management, id string) {
	t.Helper()
	testutil.WaitFor(t, time.Minute, "the import job to complete", func() (string, bool) {
		j, err := m.Job.Read(t.Context(), id)
		if err != nil {
			t.Fatalf("Job.Read: %v", err)
		}
		if j.GetStatus() == "failed" {
			t.Fatalf("import job failed: %+v", j)
		}
		return j.GetStatus(), j.GetStatus() == "completed"
	})
}
