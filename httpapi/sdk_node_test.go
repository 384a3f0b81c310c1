package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/seed"
)

// sdkVersion is the version of the npm package auth0 that sdktest/package.json pins.
const sdkVersion = "7.1.0"

// sdkPartners is the second connection the SDK test seeds, so that
// connections span pages and the CSV export's connection filter matters.
const sdkPartners = "sdk-partners"

// sdkSummary is what sdktest/export.mjs prints.
type sdkSummary struct {
	Domain      string   `json:"domain"`
	Requests    []string `json:"requests"`
	Connections struct {
		Pages int `json:"pages"`
		Items []struct {
			ID       string `json:"id"`
			Name     string `json:"name"`
			Strategy string `json:"strategy"`
		} `json:"items"`
	} `json:"connections"`
	Users struct {
		Pages int `json:"pages"`
		Total int `json:"total"`
		Count int `json:"count"`
	} `json:"users"`
	Created []struct {
		UserID string `json:"user_id"`
		Email  string `json:"email"`
	} `json:"created"`
	Compat struct {
		ByEmail          []string        `json:"byEmail"`
		LegacyByEmail    []string        `json:"legacyByEmail"`
		UpdatedOptions   json.RawMessage `json:"updatedOptions"`
		DeleteStatus     int             `json:"deleteStatus"`
		GetDeletedStatus int             `json:"getDeletedStatus"`
		Requests         []string        `json:"requests"`
	} `json:"compat"`
	Search struct {
		Target     string   `json:"target"`
		ByEmail    []string `json:"byEmail"`
		Connection struct {
			Total       int      `json:"total"`
			Count       int      `json:"count"`
			Connections []string `json:"connections"`
		} `json:"connection"`
	} `json:"search"`
	CSV  sdkExport `json:"csv"`
	JSON sdkExport `json:"json"`
}

// sdkExport is one export job as the SDK saw it, with the gunzipped file.
type sdkExport struct {
	Job      map[string]any `json:"job"`
	Statuses []string       `json:"statuses"`
	Location string         `json:"location"`
	Text     string         `json:"text"`
}

// The fields sdktest/export.mjs asks for (it checks the jobs echo them).
var (
	sdkCSVFields = testutil.Fields("user_id", "email", "name", "identities[0].connection=provider",
		"email_verified", "created_at", "user_metadata.consent.given=consent")
	sdkJSONFields = testutil.Fields("user_id", "email", "user_metadata", "identities[0].connection=connection")
)

// TestNodeSDK drives the API through the official Auth0 Node SDK
// (ManagementClient with client credentials, its fetch option redirecting
// https://{domain} to the test server): connections.list and users.list with
// the SDK's paging, users.create, a CSV and a JSON export through
// jobs.usersExports.create and jobs.get, downloaded and gunzipped, then checks
// what the SDK saw against the store, the files cell by cell by the export
// model (testutil.CheckCSV, CheckNDJSON). It runs the script twice: with the
// server's host as the SDK's domain (the default audience
// https://{domain}/api/v2/ then names the server), and with a placeholder
// domain and the server's audience passed explicitly.
func TestNodeSDK(t *testing.T) {
	t.Parallel()
	dir := testutil.NodePackage(t, "the Node SDK test", "auth0", sdkVersion)
	e := setup(t)
	e.sdkSeed(upa, 300, 1)
	e.sdkSeed(sdkPartners, 25, 2)
	e.work(nil)
	upaID := e.connection(upa).ID

	// The SDK as documented: domain = the host it reaches, default audience.
	sum := e.sdkRun(dir, "USERPORT_CREATE_USERS=2")
	if host := strings.TrimPrefix(e.base, "http://"); sum.Domain != host {
		t.Errorf("the SDK's domain = %q, want %q", sum.Domain, host)
	}
	sdkCheckRequests(t, sum.Requests)
	e.sdkCheckConnections(sum)
	e.sdkCheckUsers(sum)
	sdkCheckCompat(t, sum)
	sdkCheckSearch(t, sum)
	e.sdkCheckExports(sum, upaID)

	// A script written for a real tenant: a placeholder domain (its requests
	// redirected all the same) with the server's audience given explicitly.
	sum = e.sdkRun(dir, "USERPORT_CREATE_USERS=0", "USERPORT_DOMAIN=tenant.userport.test",
		"USERPORT_AUDIENCE="+e.audience())
	if sum.Domain != "tenant.userport.test" {
		t.Errorf("the SDK's domain = %q, want tenant.userport.test", sum.Domain)
	}
	sdkCheckRequests(t, sum.Requests)
	e.sdkCheckConnections(sum)
	if n := e.userCount(); sum.Users.Total != int(n) || sum.Users.Count != int(n) {
		t.Errorf("users.list with a placeholder domain: total %d, %d users; the store has %d", sum.Users.Total, sum.Users.Count, n)
	}
	e.sdkCheckExports(sum, upaID)
}

// sdkCheckCompat checks the calls around the export: users by email
// through both clients (the first created user, found once), and the
// legacy client's connection update (options replaced, Auth0's kept
// defaults added) and delete (202, then 404).
func sdkCheckCompat(t *testing.T, sum *sdkSummary) {
	t.Helper()
	c := sum.Compat
	want := []string{sum.Created[0].UserID}
	if !slices.Equal(c.ByEmail, want) || !slices.Equal(c.LegacyByEmail, want) {
		t.Errorf("users by email: v7 %q, legacy %q; want %q", c.ByEmail, c.LegacyByEmail, want)
	}
	var opts map[string]any
	if err := json.Unmarshal(c.UpdatedOptions, &opts); err != nil || opts["brute_force_protection"] != false || opts["requires_username"] != nil {
		t.Errorf("connections.update options = %s, want brute_force_protection false and requires_username gone", c.UpdatedOptions)
	}
	if c.DeleteStatus != http.StatusAccepted || c.GetDeletedStatus != http.StatusNotFound {
		t.Errorf("connections.delete: %d, then get: %d; want 202 and 404", c.DeleteStatus, c.GetDeletedStatus)
	}
	if len(c.Requests) == 0 || c.Requests[0] != "POST /oauth/token" {
		t.Errorf("the legacy client's requests: %q, want a token first", c.Requests)
	}
}

// sdkCheckExports checks both export jobs of a run and their files against
// the stored documents (of the default connection for the CSV, of every
// connection for the JSON).
func (e *env) sdkCheckExports(sum *sdkSummary, upaID string) {
	e.t.Helper()
	e.sdkCheckJob(sum.CSV, "csv", upaID)
	e.sdkCheckJob(sum.JSON, "json", "")
	_, docs := e.docs(upaID)
	testutil.CheckCSV(e.t, []byte(sum.CSV.Text), sdkCSVFields, docs)
	_, docs = e.docs("")
	testutil.CheckNDJSON(e.t, []byte(sum.JSON.Text), sdkJSONFields, docs)
}

// sdkSeed writes n users of the generator seeded with value into the
// connection name (created if missing), as `userport seed` does.
func (e *env) sdkSeed(name string, n int, value int64) {
	e.t.Helper()
	conn, err := seed.EnsureConnection(e.ctx(), e.Store, e.tenant, name, e.Clock)
	must(e.t, err)
	g, _, err := seed.Continue(e.ctx(), e.Store, value, e.tenant, conn, seed.Start)
	must(e.t, err)
	must(e.t, seed.Write(e.ctx(), e.Store, g, n, nil))
}

// sdkRun runs sdktest/export.mjs against the server, with the extra
// environment variables env, and decodes its summary.
func (e *env) sdkRun(dir string, env ...string) *sdkSummary {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "export.mjs")
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = append(sdkEnviron(),
		"USERPORT_URL="+e.base,
		"USERPORT_CLIENT_ID="+adminID,
		"USERPORT_CLIENT_SECRET="+adminSecret,
		"USERPORT_CONNECTIONS_TAKE=1", // one connection per page: the checkpoint paging must be followed
		"USERPORT_USERS_PER_PAGE=100",
		"USERPORT_TIMEOUT_MS=20000",
	)
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		e.t.Fatalf("node export.mjs: %v\nstderr:\n%s\nserver log:\n%s", err, stderr.String(), e.logs.String())
	}
	var sum sdkSummary
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		e.t.Fatalf("export.mjs summary: %v\n%.2000s", err, stdout.String())
	}
	return &sum
}

// sdkEnviron is the test's environment without USERPORT_ variables, so that
// only what sdkRun sets configures the script.
func sdkEnviron() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "USERPORT_") {
			env = append(env, kv)
		}
	}
	return env
}

// sdkCheckRequests checks that the SDK fetched one token through the
// redirect, before anything else, and called nothing but the Management API.
func sdkCheckRequests(t *testing.T, reqs []string) {
	t.Helper()
	if len(reqs) == 0 || reqs[0] != "POST /oauth/token" {
		t.Fatalf("first SDK request = %q, want POST /oauth/token (all: %q)", reqs, reqs)
	}
	for _, r := range reqs[1:] {
		if !strings.Contains(r, " /api/v2/") {
			t.Errorf("SDK request %q is not a Management API call (one token must serve all)", r)
		}
	}
}

// sdkCheckConnections checks that connections.list paged through every
// connection of the store, one per page.
func (e *env) sdkCheckConnections(sum *sdkSummary) {
	e.t.Helper()
	conns, total, err := e.Store.ListConnections(e.ctx(), userport.ConnectionFilter{Tenant: e.tenant, Limit: 100})
	must(e.t, err)
	if total != 2 || sum.Connections.Pages != total {
		e.t.Errorf("connections.list took %d pages of 1, store has %d connections, want 2 of each", sum.Connections.Pages, total)
	}
	var got, want []string
	for _, c := range sum.Connections.Items {
		got = append(got, c.ID+" "+c.Name+" "+c.Strategy)
	}
	for _, c := range conns {
		want = append(want, c.ID+" "+c.Name+" "+c.Strategy)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		e.t.Errorf("connections.list = %q, want %q", got, want)
	}
}

// sdkCheckSearch checks the user searches of the script: one user by
// email, and the first page of sdk-partners' 25 users with their total.
func sdkCheckSearch(t *testing.T, sum *sdkSummary) {
	t.Helper()
	s := sum.Search
	if !slices.Equal(s.ByEmail, []string{s.Target}) {
		t.Errorf("users.list({q: email}) found %v, want [%s]", s.ByEmail, s.Target)
	}
	c := s.Connection
	if c.Total != 25 || c.Count != 10 || slices.ContainsFunc(c.Connections, func(n string) bool { return n != sdkPartners }) {
		t.Errorf("users.list({q: identities.connection}): total %d, %d users of %v; want 25, 10 of %s", c.Total, c.Count, c.Connections, sdkPartners)
	}
}

// sdkCheckUsers checks users.list's paging and the users the SDK created.
func (e *env) sdkCheckUsers(sum *sdkSummary) {
	e.t.Helper()
	const seeded, created, perPage = 325, 2, 100
	if n := e.userCount(); n != seeded+created {
		e.t.Errorf("store has %d users, want %d seeded + %d created by the SDK", n, seeded, created)
	}
	u := sum.Users
	if wantPages := (seeded + created + perPage - 1) / perPage; u.Total != seeded+created || u.Count != u.Total || u.Pages != wantPages {
		e.t.Errorf("users.list: total %d, %d users over %d pages; want %d over %d", u.Total, u.Count, u.Pages, seeded+created, wantPages)
	}
	if len(sum.Created) != created {
		e.t.Fatalf("the SDK created %d users, want %d", len(sum.Created), created)
	}
	for _, c := range sum.Created {
		s := e.storedUser(c.UserID)
		if s.Email != c.Email || s.ConnectionID != e.connection(upa).ID || s.PasswordHash == "" {
			e.t.Errorf("stored user %s: email %q, connection %s, password hash set %v; want %q in %s with a hash",
				c.UserID, s.Email, s.ConnectionID, s.PasswordHash != "", c.Email, upa)
		}
		if bytes.Contains(s.Doc, []byte("password")) {
			e.t.Errorf("stored profile of %s mentions a password: %s", c.UserID, s.Doc)
		}
	}
}

// sdkLocation is the shape of a download link: {base}/exports/{job}/{runner}/dev.{format}.gz?Expires=..&SHA256=..&Signature=..
var sdkLocation = regexp.MustCompile(`^(http://[^/]+)/exports/(job_[A-Za-z0-9]{16})/[A-Za-z0-9]{16}/dev\.(csv|json)\.gz\?Expires=\d+&SHA256=[0-9a-f]{64}&Signature=[A-Za-z0-9_=-]+$`)

// sdkCheckJob checks the job the SDK created and polled: its echo and its
// stored record, its statuses and its download link.
func (e *env) sdkCheckJob(x sdkExport, format, connectionID string) {
	e.t.Helper()
	id, _ := x.Job["id"].(string)
	if x.Job["format"] != format || (connectionID != "" && x.Job["connection_id"] != connectionID) {
		e.t.Errorf("%s export job = %v, want format %s, connection_id %q", format, x.Job, format, connectionID)
	}
	m := sdkLocation.FindStringSubmatch(x.Location)
	if m == nil || m[1] != e.base || m[2] != id || m[3] != format {
		e.t.Errorf("%s export location = %q, want %s/exports/%s/{runner}/dev.%s.gz?Expires=..&SHA256=..&Signature=..", format, x.Location, e.base, id, format)
	}
	if len(x.Statuses) == 0 || x.Statuses[len(x.Statuses)-1] != "completed" {
		e.t.Errorf("%s export statuses = %q, want ... completed", format, x.Statuses)
	}
	j, err := e.storedJob(id)
	if err != nil {
		e.t.Fatalf("find %s job %s: %v", format, id, err)
	}
	if j.Status != userport.JobCompleted {
		e.t.Errorf("stored %s job %s is %s, want completed", format, id, j.Status)
	}
}
