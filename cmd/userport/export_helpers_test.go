package main

// Helpers of the export end-to-end tests (export_*_test.go). Their names start
// with "ex" so that they do not collide with the other test files' helpers.
//
// The tests check exported files against a reference model written here from
// the contract (shared/spec/users-export-api.md section 5), independently of
// the encode package: exPathValue resolves a field path over a stored
// document, exCSVCell applies Auth0's cell rules, exNDJSONLine builds the
// nested NDJSON object.

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
)

// exJobIDPattern is the shape of a job id.
var exJobIDPattern = regexp.MustCompile(`^job_[A-Za-z0-9]{16}$`)

// exConfig is testConfig on a new data dir with the shared key, polling for
// jobs often so that the tests do not wait.
func exConfig(t *testing.T) Config {
	t.Helper()
	dir := t.TempDir()
	installTestKey(t, dir)
	cfg := testConfig(dir)
	cfg.PollInterval = 20 * time.Millisecond
	return cfg
}

// exStart starts a server on exConfig changed by edit (nil: unchanged).
func exStart(t *testing.T, edit func(*Config)) *bundle {
	t.Helper()
	cfg := exConfig(t)
	if edit != nil {
		edit(&cfg)
	}
	return start(t, cfg, newTestClock())
}

// exAdvance moves the server's clock and forgets the cached admin token, which
// the move may have expired.
func (b *bundle) exAdvance(d time.Duration) {
	b.clock.Advance(d)
	b.all = ""
}

// exPost sends POST /api/v2/jobs/users-exports as the Auth0 page's curl does:
// the body verbatim, lower-case header names.
func (b *bundle) exPost(body string) *response {
	b.t.Helper()
	if b.all == "" {
		b.all = b.token()
	}
	req, err := http.NewRequest(http.MethodPost, b.base+"/api/v2/jobs/users-exports", strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header["authorization"] = []string{"Bearer " + b.all}
	req.Header["content-type"] = []string{"application/json"}
	return b.send(req)
}

// exJob is a job as GET /api/v2/jobs/{id} shows it.
type exJob struct {
	Type            string           `json:"type"`
	Status          string           `json:"status"`
	ConnectionID    string           `json:"connection_id"`
	Format          string           `json:"format"`
	Limit           json.Number      `json:"limit"`
	Fields          []userport.Field `json:"fields"`
	Connection      string           `json:"connection"`
	CreatedAt       string           `json:"created_at"`
	ID              string           `json:"id"`
	PercentageDone  json.Number      `json:"percentage_done"`
	TimeLeftSeconds json.Number      `json:"time_left_seconds"`
	Location        string           `json:"location"`
	StatusDetails   string           `json:"status_details"`

	raw []byte
}

// exDecodeJob decodes a job body, keeping numbers as written.
func exDecodeJob(t *testing.T, body []byte) *exJob {
	t.Helper()
	j := &exJob{raw: body}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(j); err != nil {
		t.Fatalf("decode job %s: %v", body, err)
	}
	return j
}

// exCreate posts body and returns the created job, failing unless the answer
// is 200.
func (b *bundle) exCreate(body string) *exJob {
	b.t.Helper()
	r := b.exPost(body)
	r.wantStatus(b.t, http.StatusOK)
	j := exDecodeJob(b.t, r.body)
	if !exJobIDPattern.MatchString(j.ID) {
		b.t.Fatalf("job id %q does not match %s", j.ID, exJobIDPattern)
	}
	return j
}

// exGet sends GET /api/v2/jobs/{id} with every scope.
func (b *bundle) exGet(id string) *response {
	b.t.Helper()
	return b.admin(http.MethodGet, "/jobs/"+id, nil)
}

// exJob reads the job through the API, failing unless the answer is 200.
func (b *bundle) exJob(id string) *exJob {
	b.t.Helper()
	r := b.exGet(id)
	r.wantStatus(b.t, http.StatusOK)
	return exDecodeJob(b.t, r.body)
}

// exWait polls the job until it is completed, failed or expired.
func (b *bundle) exWait(id string) *exJob {
	b.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		j := b.exJob(id)
		switch j.Status {
		case "completed", "failed", "expired":
			return j
		case "pending", "processing":
		default:
			b.t.Fatalf("job %s has status %q", id, j.Status)
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("job %s still %s after 60s", id, j.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// exCompleted waits for the job and fails unless it completed.
func (b *bundle) exCompleted(id string) *exJob {
	b.t.Helper()
	j := b.exWait(id)
	if j.Status != "completed" {
		b.t.Fatalf("job %s: status %s (%s), want completed", id, j.Status, j.StatusDetails)
	}
	return j
}

// exFetch sends GET to an absolute URL without credentials.
func (b *bundle) exFetch(url string) *response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.send(req)
}

// exDownload downloads a completed job's file and returns it gunzipped,
// checking the headers of the download.
func (b *bundle) exDownload(j *exJob) []byte {
	b.t.Helper()
	r := b.exFetch(j.Location)
	if r.status != http.StatusOK {
		b.t.Fatalf("download %s: %d %s", j.Location, r.status, r.body)
	}
	name := "dev." + j.Format + ".gz"
	exWantHeader(b.t, r, "Content-Type", "application/gzip")
	exWantHeader(b.t, r, "Content-Disposition", `attachment; filename="`+name+`"`)
	exWantHeader(b.t, r, "Content-Encoding", "")
	return exGunzip(b.t, r.body)
}

// exWantHeader fails unless the response header name is want.
func exWantHeader(t *testing.T, r *response, name, want string) {
	t.Helper()
	if got := r.header.Get(name); got != want {
		t.Errorf("%s = %q, want %q", name, got, want)
	}
}

// exGunzip decompresses a whole gzip file.
func exGunzip(t *testing.T, data []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not gzip: %v (%d bytes, starting %q)", err, len(data), data[:min(len(data), 40)])
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return out
}

// exIsGzip reports whether data starts like a gzip file.
func exIsGzip(data []byte) bool {
	return len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b
}

// exKeys returns the keys of a JSON object in the order they are written.
func exKeys(t *testing.T, body []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", body)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("keys of %s: %v", body, err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("keys of %s: %v", body, err)
		}
	}
	return keys
}

// exWantKeys fails unless body is an object with exactly keys, in that order.
func exWantKeys(t *testing.T, body []byte, keys ...string) {
	t.Helper()
	if got := exKeys(t, body); !slices.Equal(got, keys) {
		t.Errorf("keys = %v, want %v; body %s", got, keys, body)
	}
}

// exCountJobs counts the tenant's jobs in the store.
func (b *bundle) exCountJobs() int {
	b.t.Helper()
	n, err := b.m.store.CountJobs(b.ctx(), userport.JobFilter{Tenant: b.m.Config.Tenant})
	if err != nil {
		b.t.Fatal(err)
	}
	return n
}

// exStoredJob reads a job from the store.
func (b *bundle) exStoredJob(id string) (*userport.Job, error) {
	return b.m.store.FindJob(b.ctx(), b.m.Config.Tenant, id)
}

// exDocs returns the stored documents of the connection (every connection
// when connID is ""), in user_id order, read page by page.
func (b *bundle) exDocs(connID string) (ids []string, docs [][]byte) {
	b.t.Helper()
	testutil.EachUser(b.t, b.m.store, userport.UserScan{Tenant: b.m.Config.Tenant, ConnectionID: connID, Limit: 5000},
		func(id string, doc []byte) {
			ids, docs = append(ids, id), append(docs, bytes.Clone(doc))
		})
	return ids, docs
}

// exCreateConnection creates a database connection through the API.
func (b *bundle) exCreateConnection(name string) string {
	b.t.Helper()
	r := b.admin(http.MethodPost, "/connections", map[string]any{"name": name, "strategy": "auth0"})
	r.wantStatus(b.t, http.StatusCreated)
	return r.object(b.t)["id"].(string)
}

// exPutProfiles writes profiles straight into the store, in connection conn.
func (b *bundle) exPutProfiles(conn *userport.Connection, profiles ...*userport.Profile) {
	b.t.Helper()
	users := make([]*userport.User, len(profiles))
	for i, p := range profiles {
		u, err := userport.UserFromProfile(b.m.Config.Tenant, conn.ID, "", p)
		if err != nil {
			b.t.Fatal(err)
		}
		users[i] = u
	}
	if err := b.m.store.CreateUsers(b.ctx(), users...); err != nil {
		b.t.Fatal(err)
	}
}

// exSeg is one step of a field path: a key, or an index when idx >= 0.
type exSeg struct {
	key string
	idx int
}

// exParsePath splits a (valid) field path into its steps.
func exParsePath(t *testing.T, name string) []exSeg {
	t.Helper()
	var segs []exSeg
	for _, part := range strings.Split(name, ".") {
		key, rest, _ := strings.Cut(part, "[")
		segs = append(segs, exSeg{key: key, idx: -1})
		for rest != "" {
			num, after, ok := strings.Cut(rest, "]")
			n, err := strconv.Atoi(num)
			if !ok || err != nil {
				t.Fatalf("bad test path %q", name)
			}
			segs = append(segs, exSeg{idx: n})
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return segs
}

// exPathValue returns the raw JSON value at the path in doc, and whether
// there is one.
func exPathValue(t *testing.T, doc []byte, name string) (json.RawMessage, bool) {
	t.Helper()
	cur := json.RawMessage(doc)
	for _, s := range exParsePath(t, name) {
		if s.idx < 0 {
			var obj map[string]json.RawMessage
			if json.Unmarshal(cur, &obj) != nil || obj == nil {
				return nil, false
			}
			v, ok := obj[s.key]
			if !ok {
				return nil, false
			}
			cur = v
			continue
		}
		var arr []json.RawMessage
		if json.Unmarshal(cur, &arr) != nil || s.idx >= len(arr) {
			return nil, false
		}
		cur = arr[s.idx]
	}
	return cur, true
}

// exSystemDates are the dates the system writes, bare in CSV.
var exSystemDates = map[string]bool{"created_at": true, "updated_at": true, "last_login": true, "last_password_reset": true}

// exDateLike is what a system date looks like.
var exDateLike = regexp.MustCompile(`^[0-9][0-9TZ:.+-]*$`)

// exCSVCell is the CSV cell, as written in the file, of field name for doc.
func exCSVCell(t *testing.T, doc []byte, name string) string {
	t.Helper()
	raw, ok := exPathValue(t, doc, name)
	if !ok {
		return ""
	}
	switch raw[0] {
	case 'n':
		return ""
	case 't', 'f':
		return string(raw)
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		if exSystemDates[name] && exDateLike.MatchString(s) {
			return s
		}
		return exQuote(s)
	case '{', '[':
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			t.Fatal(err)
		}
		return exQuote(buf.String())
	}
	return string(raw) // a number, as written
}

// exQuote is Auth0's guarded string cell: quoted, ' prefixed, quotes doubled.
func exQuote(s string) string {
	return `"'` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// exCSVHeader is the header line of fields (without its line end).
func exCSVHeader(fields []userport.Field) string {
	cells := make([]string, len(fields))
	for i, f := range fields {
		cells[i] = exOr(f.ExportAs, f.Name)
		if strings.ContainsAny(cells[i], ",\"\r\n") { // quoted as RFC 4180 says, so the file stays CSV
			cells[i] = `"` + strings.ReplaceAll(cells[i], `"`, `""`) + `"`
		}
	}
	return strings.Join(cells, ",")
}

// exOr returns the first of a and b that is not empty.
func exOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// exCSVRow is the expected row of doc for fields, cells as written.
func exCSVRow(t *testing.T, doc []byte, fields []userport.Field) []string {
	t.Helper()
	row := make([]string, len(fields))
	for i, f := range fields {
		row[i] = exCSVCell(t, doc, f.Name)
	}
	return row
}

// exSplitCSV splits a CSV file into rows of cells kept as written (quotes and
// all), failing if it is not valid RFC 4180 CSV with "\n" line ends.
func exSplitCSV(t *testing.T, data []byte) [][]string {
	t.Helper()
	s := string(data)
	if s != "" && !strings.HasSuffix(s, "\n") {
		t.Fatalf("CSV does not end with a line end: ...%q", s[max(0, len(s)-40):])
	}
	var rows [][]string
	var row []string
	for i := 0; i < len(s); {
		end := i
		if s[i] == '"' {
			end = exQuotedEnd(t, s, i)
		} else {
			for end < len(s) && s[end] != ',' && s[end] != '\n' {
				if s[end] == '"' || s[end] == '\r' {
					t.Fatalf("bare cell with %q at offset %d: %q", s[end], end, s[i:min(len(s), i+40)])
				}
				end++
			}
		}
		row = append(row, s[i:end])
		if end >= len(s) || (s[end] != ',' && s[end] != '\n') {
			t.Fatalf("cell at offset %d not followed by , or line end: %q", i, s[i:min(len(s), end+10)])
		}
		if s[end] == '\n' {
			rows, row = append(rows, row), nil
		}
		i = end + 1
		if s[end] == ',' && i == len(s) {
			t.Fatalf("CSV ends after a comma")
		}
	}
	return rows
}

// exQuotedEnd returns the offset just after the quoted cell starting at i.
func exQuotedEnd(t *testing.T, s string, i int) int {
	t.Helper()
	for j := i + 1; j < len(s); j++ {
		if s[j] != '"' {
			continue
		}
		if j+1 < len(s) && s[j+1] == '"' {
			j++
			continue
		}
		return j + 1
	}
	t.Fatalf("unterminated quoted cell at offset %d", i)
	return 0
}

// exCheckCSV checks a downloaded CSV file cell by cell: the header of fields,
// then one row per document, in order.
func exCheckCSV(t *testing.T, data []byte, fields []userport.Field, docs [][]byte) {
	t.Helper()
	rows := exSplitCSV(t, data)
	if len(rows) == 0 {
		t.Fatalf("CSV has no header")
	}
	if got, want := strings.Join(rows[0], ","), exCSVHeader(fields); got != want {
		t.Errorf("header = %q, want %q", got, want)
	}
	if len(rows)-1 != len(docs) {
		t.Errorf("%d rows, want %d", len(rows)-1, len(docs))
	}
	for i := range min(len(rows)-1, len(docs)) {
		exCheckRow(t, i, rows[i+1], exCSVRow(t, docs[i], fields), fields)
	}
}

// exCheckRow compares one row with its expected cells.
func exCheckRow(t *testing.T, i int, got, want []string, fields []userport.Field) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("row %d has %d cells, want %d: %q", i, len(got), len(want), got)
		return
	}
	for c := range want {
		if got[c] != want[c] {
			t.Errorf("row %d, %s: cell %s, want %s", i, fields[c].Name, got[c], want[c])
		}
	}
}

// exNode is a place of an expected NDJSON line: a leaf holding a field's
// value (field >= 0), or an object or array of nodes.
type exNode struct {
	seg   exSeg
	field int
	array bool
	kids  []*exNode
}

// exNDJSONLine is the expected NDJSON line (without "\n") of doc for fields:
// export_as is a top-level key, a path without it keeps its nested place,
// paths sharing a prefix merge (in the order it first appears), indexes make
// arrays of the requested elements in index order, absent values and the
// parents they leave empty are omitted.
func exNDJSONLine(t *testing.T, doc []byte, fields []userport.Field) string {
	t.Helper()
	root := &exNode{field: -1}
	vals := make([]json.RawMessage, len(fields))
	for i, f := range fields {
		vals[i], _ = exPathValue(t, doc, f.Name)
		segs := []exSeg{{key: f.ExportAs, idx: -1}}
		if f.ExportAs == "" {
			segs = exParsePath(t, f.Name)
		}
		n := root
		for d, s := range segs {
			n = n.child(s, d == len(segs)-1, i)
			if d+1 < len(segs) {
				n.array = segs[d+1].idx >= 0
			}
		}
	}
	out, _ := root.render(vals)
	return out
}

// child returns n's node at s, adding it (a leaf of field when leaf) if new.
func (n *exNode) child(s exSeg, leaf bool, field int) *exNode {
	for _, k := range n.kids {
		if k.seg == s {
			return k
		}
	}
	k := &exNode{seg: s, field: -1}
	if leaf {
		k.field = field
	}
	n.kids = append(n.kids, k)
	return k
}

// render writes the node's JSON; ok is false when it holds nothing.
func (n *exNode) render(vals []json.RawMessage) (string, bool) {
	if n.field >= 0 {
		v := vals[n.field]
		return string(v), v != nil
	}
	kids := slices.Clone(n.kids)
	if n.array {
		slices.SortFunc(kids, func(a, b *exNode) int { return a.seg.idx - b.seg.idx })
	}
	var parts []string
	for _, k := range kids {
		v, ok := k.render(vals)
		if !ok {
			continue
		}
		if !n.array {
			key, _ := json.Marshal(k.seg.key)
			v = string(key) + ":" + v
		}
		parts = append(parts, v)
	}
	if n.array {
		return "[" + strings.Join(parts, ",") + "]", len(parts) > 0
	}
	return "{" + strings.Join(parts, ",") + "}", len(parts) > 0
}

// exCheckNDJSON checks a downloaded NDJSON file line by line: the stored
// document itself without fields, else the model line.
func exCheckNDJSON(t *testing.T, data []byte, fields []userport.Field, docs [][]byte) {
	t.Helper()
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Fatalf("NDJSON does not end with a line end")
	}
	lines := strings.Split(string(data), "\n")
	lines = lines[:len(lines)-1]
	if len(lines) != len(docs) {
		t.Errorf("%d lines, want %d", len(lines), len(docs))
	}
	for i := range min(len(lines), len(docs)) {
		want := string(docs[i])
		if len(fields) > 0 {
			want = exNDJSONLine(t, docs[i], fields)
		}
		if lines[i] != want {
			t.Errorf("line %d =\n%s\nwant\n%s", i, lines[i], want)
		}
	}
}

// exFields turns names ("name" or "name=export_as") into fields.
func exFields(specs ...string) []userport.Field {
	fields := make([]userport.Field, len(specs))
	for i, s := range specs {
		name, as, _ := strings.Cut(s, "=")
		fields[i] = userport.Field{Name: name, ExportAs: as}
	}
	return fields
}

// exDefaultCSVFields is the contract's default CSV field list.
var exDefaultCSVFields = exFields("user_id", "email", "email_verified", "username", "phone_number", "phone_verified",
	"name", "given_name", "family_name", "nickname", "picture", "identities[0].connection",
	"created_at", "updated_at", "last_login", "last_ip", "logins_count", "blocked")

// exSeedTemplate seeds n users with `userport seed` into a new data dir and
// returns it; exFromTemplate copies its database for each server.
func exSeedTemplate(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	installTestKey(t, dir)
	var out, errb bytes.Buffer
	args := []string{"seed", "--data-dir", dir, "--users", strconv.Itoa(n), "--quiet"}
	if err := run(context.Background(), args, &out, &errb); err != nil {
		t.Fatalf("userport seed: %v; stderr: %s", err, errb.String())
	}
	return dir
}

// exFromTemplate returns the configuration of a server over a copy of the
// template's database.
func exFromTemplate(t *testing.T, tmpl string) Config {
	t.Helper()
	cfg := exConfig(t)
	for _, suffix := range []string{"", "-wal", "-shm"} {
		src := filepath.Join(tmpl, "userport.db"+suffix)
		data, err := os.ReadFile(src)
		if os.IsNotExist(err) && suffix != "" {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(cfg.DataDir, "userport.db"+suffix), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return cfg
}

// exPoll calls fn every few milliseconds until it returns true, failing
// after timeout.
func exPoll(t *testing.T, timeout time.Duration, what string, fn func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !fn() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// exErrorBody is the Management API error body, for exact comparisons.
func exErrorBody(status int, code, message string) string {
	return testutil.ErrorBody(status, code, message)
}

// exMust fails on err.
func exMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
