package httpapi_test

// Downloads of export files: the signed location, its headers, tampering,
// the 60 s expiry on the injected clock, and links to files that are not
// (or no longer) served.

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/httpapi"
	"github.com/userport/userport/internal/testutil"
)

// exWantForbidden fails unless r is a 403 with a JSON error body and none of
// the file's bytes.
func exWantForbidden(t *testing.T, what string, r *response) {
	t.Helper()
	if r.status != http.StatusForbidden {
		t.Errorf("%s: status %d, want 403; body %q", what, r.status, r.body[:min(len(r.body), 80)])
		return
	}
	if exIsGzip(r.body) || r.header.Get("Content-Type") != "application/json; charset=utf-8" || r.header.Get("Content-Disposition") != "" {
		t.Errorf("%s: 403 with file bytes or file headers: %v %q", what, r.header, r.body[:min(len(r.body), 80)])
		return
	}
	var body struct {
		StatusCode int    `json:"statusCode"`
		Error      string `json:"error"`
		Message    string `json:"message"`
	}
	r.decode(t, &body)
	if body.StatusCode != 403 || body.Error != "Forbidden" || body.Message == "" {
		t.Errorf("%s: body %s", what, r.body)
	}
}

// exLocation is a parsed download location.
type exLocation struct {
	url, base, dir, file, expires, sha256, signature string // dir: {job}/{runner}
}

// exParseLocation checks the location's shape for the job and parses it.
func exParseLocation(t *testing.T, b *env, j *job) exLocation {
	t.Helper()
	re := regexp.MustCompile(`^(` + regexp.QuoteMeta(b.base) + `)/exports/(` + j.ID + `/[A-Za-z0-9]{16})/(dev\.` + j.Format +
		`\.gz)\?Expires=([1-9][0-9]*)&SHA256=([0-9a-f]{64})&Signature=([A-Za-z0-9_-]{43})$`)
	m := re.FindStringSubmatch(j.Location)
	if m == nil {
		t.Fatalf("location %q does not match %s", j.Location, re)
	}
	return exLocation{url: m[0], base: m[1], dir: m[2], file: m[3], expires: m[4], sha256: m[5], signature: m[6]}
}

// query is the link's query with the expiry and signature given.
func (l exLocation) query(expires, signature string) string {
	return "Expires=" + expires + "&SHA256=" + l.sha256 + "&Signature=" + signature
}

// build rebuilds the URL with parts replaced.
func (l exLocation) build(dir, file, query string) string {
	return l.base + "/exports/" + dir + "/" + file + "?" + query
}

// exExpiresAt is the Expires a link signed at now for ttl carries: the end of
// its life, rounded up to a whole second.
func exExpiresAt(now time.Time, ttl time.Duration) string {
	end := now.Add(ttl)
	s := end.Unix()
	if end.After(time.Unix(s, 0)) {
		s++
	}
	return strconv.FormatInt(s, 10)
}

func TestExportDownload(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.work(nil)
	b.putUsers(b.connection(upa), 0, 25)
	_, docs := b.docs("")
	j := b.exCreate(`{"format":"csv"}`)
	other := b.exCreate(`{"format":"csv"}`)
	js := b.exCreate(`{"format":"json"}`)
	b.completed(other.ID)
	b.completed(js.ID)
	done := b.completed(j.ID)
	exWantKeys(t, done.Raw, "type", "status", "format", "fields", "created_at", "id", "location")
	loc := exParseLocation(t, b, done)
	if want := exExpiresAt(b.Clock.Now(), 60*time.Second); loc.expires != want {
		t.Errorf("Expires = %s, want %s (now + 60 s)", loc.expires, want)
	}

	r := b.fetch(loc.url)
	r.wantStatus(t, http.StatusOK)
	r.wantHeader(t, "Content-Type", "application/gzip")
	r.wantHeader(t, "Content-Disposition", `attachment; filename="dev.csv.gz"`)
	r.wantHeader(t, "Content-Encoding", "")
	r.wantHeader(t, "Content-Length", strconv.Itoa(len(r.body)))
	testutil.CheckCSV(t, testutil.Gunzip(t, r.body), testutil.DefaultCSVFields, docs)
	if again := b.fetch(loc.url); again.status != 200 || string(again.body) != string(r.body) {
		t.Errorf("second download: %d, %d bytes; want the same %d bytes", again.status, len(again.body), len(r.body))
	}
	head, err := http.NewRequest(http.MethodHead, loc.url, nil)
	must(t, err)
	if hr := b.send(head); hr.status != 200 || len(hr.body) != 0 || hr.header.Get("Content-Type") != "application/gzip" ||
		hr.header.Get("Content-Length") != strconv.Itoa(len(r.body)) {
		t.Errorf("HEAD: %d %v, %d body bytes", hr.status, hr.header, len(hr.body))
	}
	jsDone := b.job(js.ID)
	exParseLocation(t, b, jsDone)
	testutil.CheckNDJSON(t, b.exDownload(jsDone), nil, docs)

	t.Run("fresh location on every GET", func(t *testing.T) {
		b.advance(time.Second)
		next := exParseLocation(t, b, b.job(j.ID))
		if want := exExpiresAt(b.Clock.Now(), 60*time.Second); next.expires != want || next.signature == loc.signature {
			t.Errorf("second GET: Expires %s (want %s), Signature %s (first %s)", next.expires, want, next.signature, loc.signature)
		}
		for _, u := range []string{loc.url, next.url} {
			if r := b.fetch(u); r.status != 200 || !exIsGzip(r.body) {
				t.Errorf("GET %s: %d", u, r.status)
			}
		}
	})

	t.Run("tampered", func(t *testing.T) {
		q := loc.query(loc.expires, loc.signature)
		otherLoc := exParseLocation(t, b, b.job(other.ID))
		exp, _ := strconv.ParseInt(loc.expires, 10, 64)
		flipped := []byte(loc.signature)
		flipped[10] ^= 'A' ^ 'B' // stays a base64url character
		if flipped[10] == loc.signature[10] {
			t.Fatal("signature not changed")
		}
		tampered := map[string]string{
			"another job's path":         loc.build(exParseLocation(t, b, b.job(other.ID)).dir, "dev.csv.gz", q),
			"another file name":          loc.build(loc.dir, "dev.json.gz", q),
			"upper-case file name":       loc.build(loc.dir, "DEV.csv.gz", q),
			"extra path segment":         loc.build(loc.dir, "dev.csv.gz/x", q),
			"job id only":                loc.base + "/exports/" + j.ID + "?" + q,
			"later expiry":               loc.build(loc.dir, "dev.csv.gz", loc.query(strconv.FormatInt(exp+1, 10), loc.signature)),
			"earlier expiry":             loc.build(loc.dir, "dev.csv.gz", loc.query(strconv.FormatInt(exp-1, 10), loc.signature)),
			"far expiry":                 loc.build(loc.dir, "dev.csv.gz", loc.query("99999999999", loc.signature)),
			"expiry with a leading zero": loc.build(loc.dir, "dev.csv.gz", loc.query("0"+loc.expires, loc.signature)),
			"changed signature":          loc.build(loc.dir, "dev.csv.gz", loc.query(loc.expires, string(flipped))),
			"short signature":            loc.build(loc.dir, "dev.csv.gz", loc.query(loc.expires, loc.signature[:42])),
			"long signature":             loc.build(loc.dir, "dev.csv.gz", q+"A"),
			"padded signature":           loc.build(loc.dir, "dev.csv.gz", q+"="),
			"empty signature":            loc.build(loc.dir, "dev.csv.gz", loc.query(loc.expires, "")),
			"no signature":               loc.build(loc.dir, "dev.csv.gz", "Expires="+loc.expires+"&SHA256="+loc.sha256),
			"no expiry":                  loc.build(loc.dir, "dev.csv.gz", "SHA256="+loc.sha256+"&Signature="+loc.signature),
			"no query":                   loc.base + "/exports/" + j.ID + "/dev.csv.gz",
			"repeated signature":         loc.build(loc.dir, "dev.csv.gz", q+"&Signature="+loc.signature),
			"another job's signature":    loc.build(loc.dir, "dev.csv.gz", loc.query(otherLoc.expires, otherLoc.signature)),
			"another sha256":             loc.build(loc.dir, "dev.csv.gz", strings.Replace(q, loc.sha256, strings.Repeat("0", 64), 1)),
			"no sha256":                  loc.build(loc.dir, "dev.csv.gz", "Expires="+loc.expires+"&Signature="+loc.signature),
			"signature of another path":  loc.build(other.ID, "dev.csv.gz", loc.query(loc.expires, loc.signature)),
		}
		for name, u := range tampered {
			exWantForbidden(t, name, b.fetch(u))
		}
		// The untouched links still work.
		if r := b.fetch(otherLoc.url); r.status != 200 {
			t.Errorf("untouched link: %d", r.status)
		}
	})

	t.Run("60 s expiry", func(t *testing.T) {
		fresh := exParseLocation(t, b, b.job(j.ID))
		b.advance(59 * time.Second)
		if r := b.fetch(fresh.url); r.status != 200 || !exIsGzip(r.body) {
			t.Fatalf("after 59 s: %d %q", r.status, r.body[:min(40, len(r.body))])
		}
		b.advance(2 * time.Second)
		exWantForbidden(t, "after 61 s", b.fetch(fresh.url))
		// A new GET signs a new link that works.
		if r := b.fetch(b.job(j.ID).Location); r.status != 200 {
			t.Errorf("new link after the old expired: %d", r.status)
		}
	})

	t.Run("guessed links", func(t *testing.T) {
		for _, key := range []string{"job_AAAAAAAAAAAAAAAA/dev.csv.gz", j.ID + "/dev.json.gz", j.ID + "/userport.db", "download-key"} {
			u, err := b.Files.SignedURL(b.ctx(), key, time.Minute, "")
			must(t, err)
			exWantForbidden(t, "signed link to "+key, b.fetch(u))
		}
		exWantForbidden(t, "path out of the exports", b.fetch(b.base+"/exports/..%2fuserport.db?Expires=1&Signature=x"))
	})

	// Last, since it moves the clock by a day: a link signed just before the
	// file's lifetime ends must not serve the file once the job reads expired.
	t.Run("link outliving its file", func(t *testing.T) {
		created, err := time.Parse(userport.TimeFormat, done.CreatedAt)
		must(t, err)
		b.advance(created.Add(24*time.Hour - 30*time.Second).Sub(b.Clock.Now()))
		late := b.job(j.ID)
		if late.Status != "completed" || late.Location == "" {
			t.Fatalf("30 s before the file lifetime ends: %s", late.Raw)
		}
		if r := b.fetch(late.Location); r.status != 200 {
			t.Fatalf("download 30 s before the end: %d", r.status)
		}
		b.advance(31 * time.Second)
		if j := b.job(j.ID); j.Status != "expired" || j.Location != "" {
			t.Fatalf("1 s after the file lifetime ended: %s", j.Raw)
		}
		r := b.fetch(late.Location)
		exWantForbidden(t, "link of an expired job", r)
	})
}

func TestExportNotServedUnlessCompleted(t *testing.T) {
	t.Parallel()
	// Every export overruns a 1 ns time limit, so it fails.
	b := setup(t, func(s *httpapi.Server) { s.Lifetimes.Export = time.Nanosecond })
	b.work(nil)
	b.putUsers(b.connection(upa), 0, 3)
	j := b.exCreate(`{"format":"csv","fields":[{"name":"email"}]}`)
	failed := b.wait(j.ID)
	want := `{"type":"users_export","status":"failed","format":"csv","fields":[{"name":"email"}],"created_at":"` + j.CreatedAt +
		`","id":"` + j.ID + `","status_details":"The export job was stopped because it ran longer than 1ns."}`
	if string(failed.Raw) != want {
		t.Fatalf("failed job =\n%s\nwant\n%s", failed.Raw, want)
	}
	u, err := b.Files.SignedURL(b.ctx(), j.ID+"/dev.csv.gz", time.Minute, "")
	must(t, err)
	exWantForbidden(t, "link to a failed job's file", b.fetch(u))
	if entries, _ := exDirNames(filepath.Join(b.filesDir, j.ID)); len(entries) != 0 {
		t.Errorf("files left by the failed export: %v", entries)
	}
}

// exDirNames lists the names in dir (none if it does not exist).
func exDirNames(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names, err
}

// TestDownloadLinkBoundToTenant: the servers of two tenants share a store,
// files and download signing key; each serves only its own
// tenant's links, and takes only its own tenant's tokens.
func TestDownloadLinkBoundToTenant(t *testing.T) {
	t.Parallel()
	dev := setup(t)
	dev.work(nil)
	dev.putUsers(dev.connection(upa), 0, 3)
	done := dev.completed(dev.exCreate(`{"format":"csv"}`).ID)
	prod := dev.otherTenant("prod")

	loc := exParseLocation(t, dev, done)
	if r := dev.fetch(loc.url); r.status != http.StatusOK || !exIsGzip(r.body) {
		t.Fatalf("dev's link on dev's server: %d %s", r.status, r.body)
	}
	onProd := prod.base + strings.TrimPrefix(loc.url, loc.base)
	exWantForbidden(t, "dev's link on prod's server", prod.fetch(onProd))
	prod.admin(http.MethodGet, "/jobs/"+done.ID, nil).wantError(t, 404, "inexistent_job", "The job does not exist.")
}

// TestDownloadTTLDefault checks the links' lifetime setting: zero means
// DefaultDownloadTTL, as Server.DownloadTTL documents, and another value is
// what links carry.
func TestDownloadTTLDefault(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		ttl, want time.Duration
	}{
		{"zero is the default", 0, httpapi.DefaultDownloadTTL},
		{"set", 10 * time.Second, 10 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(s *httpapi.Server) { s.DownloadTTL = tt.ttl })
			b.work(nil)
			done := b.completed(b.exCreate(`{"format":"csv"}`).ID)
			if loc := exParseLocation(t, b, done); loc.expires != exExpiresAt(b.Clock.Now(), tt.want) {
				t.Errorf("Expires = %s, want %s (now + %v)", loc.expires, exExpiresAt(b.Clock.Now(), tt.want), tt.want)
			}
		})
	}
}
