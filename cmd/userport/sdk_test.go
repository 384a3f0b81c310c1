package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
)

// sdkVersion is the version of the npm package auth0 that sdktest/package.json pins.
const sdkVersion = "7.1.0"

// sdkMaxErrors is how many wrong cells or lines are reported before giving up.
const sdkMaxErrors = 10

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
	sdkCSVFields = [][2]string{{"user_id", ""}, {"email", ""}, {"name", ""},
		{"identities[0].connection", "provider"}, {"email_verified", ""}, {"created_at", ""},
		{"user_metadata.consent.given", "consent"}}
	sdkJSONFields = [][2]string{{"user_id", ""}, {"email", ""}, {"user_metadata", ""},
		{"identities[0].connection", "connection"}}
)

// TestNodeSDK drives the real server through the official Auth0 Node SDK
// (ManagementClient with client credentials, its fetch option redirecting
// https://{domain} to the test server): connections.list and users.list with
// the SDK's paging, users.create, a CSV and a JSON export through
// jobs.usersExports.create and jobs.get, downloaded and gunzipped, then checks
// what the SDK saw cell by cell against the store. It runs the script twice:
// with the server's host as the SDK's domain (the default audience
// https://{domain}/api/v2/ then names the server), and with a placeholder
// domain and the server's audience passed explicitly.
func TestNodeSDK(t *testing.T) {
	t.Parallel()
	dir := sdkRequire(t)
	data := t.TempDir()
	installTestKey(t, data)
	sdkSeed(t, data, userport.DefaultConnectionName, 300, 1)
	sdkSeed(t, data, sdkPartners, 25, 2)
	b := start(t, testConfig(data), newTestClock())

	upaID := b.connection(upa).ID

	// The SDK as documented: domain = the host it reaches, default audience.
	sum := sdkRun(t, dir, b, "USERPORT_CREATE_USERS=2")
	if host := strings.TrimPrefix(b.base, "http://"); sum.Domain != host {
		t.Errorf("the SDK's domain = %q, want %q", sum.Domain, host)
	}
	sdkCheckRequests(t, sum.Requests)
	sdkCheckConnections(t, b, sum)
	sdkCheckUsers(t, b, sum)
	sdkCheckCompat(t, sum)
	sdkCheckSearch(t, sum)
	sdkCheckExports(t, b, sum, upaID)

	// A script written for a real tenant: a placeholder domain (its requests
	// redirected all the same) with the server's audience given explicitly.
	sum = sdkRun(t, dir, b, "USERPORT_CREATE_USERS=0", "USERPORT_DOMAIN=tenant.userport.test",
		"USERPORT_AUDIENCE="+b.audience())
	if sum.Domain != "tenant.userport.test" {
		t.Errorf("the SDK's domain = %q, want tenant.userport.test", sum.Domain)
	}
	sdkCheckRequests(t, sum.Requests)
	sdkCheckConnections(t, b, sum)
	if n := b.userCount(); sum.Users.Total != int(n) || sum.Users.Count != int(n) {
		t.Errorf("users.list with a placeholder domain: total %d, %d users; the store has %d", sum.Users.Total, sum.Users.Count, n)
	}
	sdkCheckExports(t, b, sum, upaID)
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

// sdkCheckExports checks both export jobs of a run and their files.
func sdkCheckExports(t *testing.T, b *bundle, sum *sdkSummary, upaID string) {
	t.Helper()
	sdkCheckJob(t, b, sum.CSV, "csv", upaID)
	sdkCheckJob(t, b, sum.JSON, "json", "")
	sdkCheckCSV(t, sum.CSV.Text, sdkStoreDocs(t, b, upaID))
	sdkCheckJSON(t, sum.JSON.Text, sdkStoreDocs(t, b, ""))
}

// sdkRequire returns the sdktest directory, skipping the test when node or the
// installed SDK is missing, or failing then when USERPORT_TEST_NODE_SDK=1.
func sdkRequire(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "sdktest"))
	if err != nil {
		t.Fatal(err)
	}
	missing := ""
	if _, err := exec.LookPath("node"); err != nil {
		missing = "node is not on PATH"
	} else if v, err := sdkInstalledVersion(dir); err != nil {
		missing = "the Auth0 Node SDK is not installed (run `npm ci` in sdktest/): " + err.Error()
	} else if v != sdkVersion {
		missing = fmt.Sprintf("sdktest/node_modules has auth0 %s, want %s (run `npm ci` in sdktest/)", v, sdkVersion)
	}
	if missing == "" {
		return dir
	}
	if os.Getenv("USERPORT_TEST_NODE_SDK") == "1" {
		t.Fatalf("USERPORT_TEST_NODE_SDK=1 but %s", missing)
	}
	t.Skipf("skipping the Node SDK test: %s (set USERPORT_TEST_NODE_SDK=1 to make this a failure)", missing)
	return ""
}

// sdkInstalledVersion reads the version of sdktest/node_modules/auth0.
func sdkInstalledVersion(dir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "node_modules", "auth0", "package.json"))
	if err != nil {
		return "", err
	}
	var pkg struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(data, &pkg); err != nil {
		return "", fmt.Errorf("node_modules/auth0/package.json: %w", err)
	}
	return pkg.Version, nil
}

// sdkSeed runs `userport seed` into the data dir (before the server opens it).
func sdkSeed(t *testing.T, data, conn string, n, seed int) {
	t.Helper()
	var out bytes.Buffer
	args := []string{"seed", "--data-dir", data, "--tenant", "dev", "--connection", conn,
		"--users", strconv.Itoa(n), "--seed", strconv.Itoa(seed), "--quiet"}
	if err := run(context.Background(), args, io.Discard, &out); err != nil {
		t.Fatalf("userport %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
}

// sdkRun runs sdktest/export.mjs against the server, with the extra
// environment variables env, and decodes its summary.
func sdkRun(t *testing.T, dir string, b *bundle, env ...string) *sdkSummary {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "export.mjs")
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = append(sdkEnviron(),
		"USERPORT_URL="+b.base,
		"USERPORT_CLIENT_ID="+b.id,
		"USERPORT_CLIENT_SECRET="+b.secret,
		"USERPORT_CONNECTIONS_TAKE=1", // one connection per page: the checkpoint paging must be followed
		"USERPORT_USERS_PER_PAGE=100",
		"USERPORT_TIMEOUT_MS=20000",
	)
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node export.mjs: %v\nstderr:\n%s\nserver log:\n%s", err, stderr.String(), b.logs.String())
	}
	var sum sdkSummary
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		t.Fatalf("export.mjs summary: %v\n%.2000s", err, stdout.String())
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
func sdkCheckConnections(t *testing.T, b *bundle, sum *sdkSummary) {
	t.Helper()
	conns, total, err := b.m.store.ListConnections(b.ctx(), userport.ConnectionFilter{Tenant: "dev", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if total != 2 || sum.Connections.Pages != total {
		t.Errorf("connections.list took %d pages of 1, store has %d connections, want 2 of each", sum.Connections.Pages, total)
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
		t.Errorf("connections.list = %q, want %q", got, want)
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
func sdkCheckUsers(t *testing.T, b *bundle, sum *sdkSummary) {
	t.Helper()
	const seeded, created, perPage = 325, 2, 100
	if n := b.userCount(); n != seeded+created {
		t.Errorf("store has %d users, want %d seeded + %d created by the SDK", n, seeded, created)
	}
	u := sum.Users
	if wantPages := (seeded + created + perPage - 1) / perPage; u.Total != seeded+created || u.Count != u.Total || u.Pages != wantPages {
		t.Errorf("users.list: total %d, %d users over %d pages; want %d over %d", u.Total, u.Count, u.Pages, seeded+created, wantPages)
	}
	if len(sum.Created) != created {
		t.Fatalf("the SDK created %d users, want %d", len(sum.Created), created)
	}
	for _, c := range sum.Created {
		s := b.storedUser(c.UserID)
		if s.Email != c.Email || s.ConnectionID != b.connection(upa).ID || s.PasswordHash == "" {
			t.Errorf("stored user %s: email %q, connection %s, password hash set %v; want %q in %s with a hash",
				c.UserID, s.Email, s.ConnectionID, s.PasswordHash != "", c.Email, upa)
		}
		if bytes.Contains(s.Doc, []byte("password")) {
			t.Errorf("stored profile of %s mentions a password: %s", c.UserID, s.Doc)
		}
	}
}

// sdkLocation is the shape of a download link: {base}/exports/{job}/dev.{format}.gz?Expires=..&SHA256=..&Signature=..
var sdkLocation = regexp.MustCompile(`^(http://[^/]+)/exports/(job_[A-Za-z0-9]{16})/[A-Za-z0-9]{16}/dev\.(csv|json)\.gz\?Expires=\d+&SHA256=[0-9a-f]{64}&Signature=[A-Za-z0-9_=-]+$`)

// sdkCheckJob checks the job the SDK created and polled: its echo and its
// stored record, its statuses and its download link.
func sdkCheckJob(t *testing.T, b *bundle, e sdkExport, format, connectionID string) {
	t.Helper()
	id, _ := e.Job["id"].(string)
	if e.Job["format"] != format || (connectionID != "" && e.Job["connection_id"] != connectionID) {
		t.Errorf("%s export job = %v, want format %s, connection_id %q", format, e.Job, format, connectionID)
	}
	m := sdkLocation.FindStringSubmatch(e.Location)
	if m == nil || m[1] != b.base || m[2] != id || m[3] != format {
		t.Errorf("%s export location = %q, want %s/exports/%s/{runner}/dev.%s.gz?Expires=..&SHA256=..&Signature=..", format, e.Location, b.base, id, format)
	}
	if len(e.Statuses) == 0 || e.Statuses[len(e.Statuses)-1] != "completed" {
		t.Errorf("%s export statuses = %q, want ... completed", format, e.Statuses)
	}
	j, err := b.m.store.FindJob(b.ctx(), "dev", id)
	if err != nil {
		t.Fatalf("find %s job %s: %v", format, id, err)
	}
	if j.Status != userport.JobCompleted {
		t.Errorf("stored %s job %s is %s, want completed", format, id, j.Status)
	}
}

// sdkStoreDocs returns the profiles of a connection's users ("" for all) from
// the store, in user_id order, decoded with numbers kept as text.
func sdkStoreDocs(t *testing.T, b *bundle, connectionID string) []map[string]any {
	t.Helper()
	var docs []map[string]any
	for off := 0; ; off += 100 {
		users, err := b.m.store.ListUsers(b.ctx(), userport.UserFilter{Tenant: "dev", ConnectionID: connectionID, Offset: off, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			docs = append(docs, sdkDecode(t, u.Doc))
		}
		if len(users) < 100 {
			return docs
		}
	}
}

// sdkDecode decodes a JSON object with numbers kept as json.Number.
func sdkDecode(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %.200s: %v", data, err)
	}
	return m
}

// sdkCheckCSV checks the CSV the SDK downloaded against the store's users of
// the connection, row by row and cell by cell, by Auth0's cell rules.
func sdkCheckCSV(t *testing.T, text string, docs []map[string]any) {
	t.Helper()
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = len(sdkCSVFields)
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("parse the CSV export: %v\n%.500s", err, text)
	}
	var header []string
	for _, f := range sdkCSVFields {
		header = append(header, sdkFirst(f[1], f[0]))
	}
	if len(rows) == 0 || !slices.Equal(rows[0], header) {
		t.Fatalf("CSV header = %q, want %q", rows[:min(1, len(rows))], header)
	}
	if got := len(rows) - 1; got != len(docs) {
		t.Fatalf("CSV has %d rows, the connection has %d users", got, len(docs))
	}
	bad := 0
	for i, doc := range docs {
		if bad > sdkMaxErrors {
			t.Fatalf("more than %d wrong CSV cells; stopping", sdkMaxErrors)
		}
		for j, f := range sdkCSVFields {
			v, _ := sdkLookup(doc, f[0])
			if want := sdkCSVCell(f[0], v); rows[i+1][j] != want {
				t.Errorf("CSV row %d (%v) %s = %q, want %q", i+1, doc["user_id"], header[j], rows[i+1][j], want)
				bad++
			}
		}
	}
}

// sdkFirst returns the first of its arguments that is not empty.
func sdkFirst(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// sdkCSVCell is the cell Auth0 writes for value v of path: strings quoted and
// prefixed with ' (the CSV-injection guard), except the system's dates; numbers
// and booleans bare; absent and null values empty. The quoting itself is
// undone by encoding/csv.
func sdkCSVCell(path string, v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		if slices.Contains([]string{"created_at", "updated_at", "last_login", "last_password_reset"}, path) {
			return v
		}
		return "'" + v
	case bool:
		return strconv.FormatBool(v)
	case json.Number:
		return v.String()
	default:
		return fmt.Sprintf("<%T cannot be a CSV cell>", v)
	}
}

// sdkCheckJSON checks the NDJSON the SDK downloaded against every user of the
// store, line by line.
func sdkCheckJSON(t *testing.T, text string, docs []map[string]any) {
	t.Helper()
	if !strings.HasSuffix(text, "\n") {
		t.Fatalf("the JSON export does not end with a newline: %.200q", text)
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != len(docs) {
		t.Fatalf("the JSON export has %d lines, the store has %d users", len(lines), len(docs))
	}
	bad := 0
	for i, doc := range docs {
		if bad > sdkMaxErrors {
			t.Fatalf("more than %d wrong JSON lines; stopping", sdkMaxErrors)
		}
		want := map[string]any{}
		for _, f := range sdkJSONFields {
			if v, ok := sdkLookup(doc, f[0]); ok && v != nil {
				want[sdkFirst(f[1], f[0])] = v
			}
		}
		got := sdkDecode(t, []byte(lines[i]))
		if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
			t.Errorf("JSON line %d =\n%s\nwant\n%s", i+1, g, w)
			bad++
		}
	}
}

// sdkLookup resolves a field path (dots into objects, [n] into arrays) in doc.
func sdkLookup(doc map[string]any, path string) (any, bool) {
	var cur any = doc
	for _, part := range strings.Split(path, ".") {
		name, index, _ := strings.Cut(part, "[")
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[name]; !ok {
			return nil, false
		}
		if index == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(index, "]"))
		arr, ok := cur.([]any)
		if err != nil || !ok || n >= len(arr) {
			return nil, false
		}
		cur = arr[n]
	}
	return cur, true
}
