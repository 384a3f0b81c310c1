package localblob_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/blobtest"
	"github.com/userport/userport/localblob"
)

// server is a store whose signed URLs point at a test server serving them.
type server struct {
	*setup
	url string
}

func newServer(t *testing.T) *server {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s := newSetup(t, srv.URL+"/")
	mux.Handle("GET /exports/", s.store.Handler())
	return &server{setup: s, url: srv.URL}
}

func (s *server) sign(t *testing.T, key string, ttl time.Duration) string {
	t.Helper()
	u, err := s.store.SignedURL(context.Background(), key, ttl, "")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// response is what a link answered (blobtest's, shared with the suite).
type response = blobtest.Response

func fetch(t *testing.T, method, u string) response {
	t.Helper()
	return blobtest.Request(t, method, u)
}

// gzipBytes is a small gzip member; the server must send it as it is.
const gzipBytes = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff\x4a\x4c\x4a\x06\x04\x00\x00\xff\xff\xc2\x41\x24\x35\x03\x00\x00\x00"

func TestDownload(t *testing.T) {
	s := newServer(t)
	const key = "job_AbCdEfGhIjKlMnOp/dev.csv.gz"
	s.put(t, key, []byte(gzipBytes))
	u := s.sign(t, key, 60*time.Second)
	wantPrefix := s.url + "/exports/" + key + "?Expires=" + strconv.FormatInt(t0.Unix()+60, 10) + "&Signature="
	if !strings.HasPrefix(u, wantPrefix) {
		t.Fatalf("signed URL %q, want it to start with %q", u, wantPrefix)
	}
	res := fetch(t, http.MethodGet, u)
	if res.Status != http.StatusOK || res.Body != gzipBytes {
		t.Fatalf("GET: %d %q, want 200 and the file", res.Status, res.Body)
	}
	wantHeaders := map[string]string{
		"Content-Type":        "application/gzip",
		"Content-Disposition": `attachment; filename="dev.csv.gz"`,
		"Content-Length":      strconv.Itoa(len(gzipBytes)),
		"Content-Encoding":    "",
	}
	for name, want := range wantHeaders {
		if got := res.Header.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

func TestHead(t *testing.T) {
	s := newServer(t)
	const key = "job_1/dev.json.gz"
	s.put(t, key, []byte(gzipBytes))
	res := fetch(t, http.MethodHead, s.sign(t, key, time.Minute))
	if res.Status != http.StatusOK || res.Body != "" || res.Header.Get("Content-Length") != strconv.Itoa(len(gzipBytes)) {
		t.Fatalf("HEAD: %d, Content-Length %q, body %q; want 200, %d, none", res.Status, res.Header.Get("Content-Length"), res.Body, len(gzipBytes))
	}
	res = fetch(t, http.MethodHead, s.url+"/exports/"+key)
	if res.Status != http.StatusForbidden || res.Body != "" {
		t.Fatalf("unsigned HEAD: %d %q, want 403 and no body", res.Status, res.Body)
	}
}

func TestExpiry(t *testing.T) {
	s := newServer(t)
	const key = "job_2/dev.csv.gz"
	s.put(t, key, []byte(gzipBytes))
	s.clock.Set(t0.Add(300 * time.Millisecond)) // expiry rounds up to a whole second
	u := s.sign(t, key, 60*time.Second)
	tests := []struct {
		after time.Duration
		want  int
	}{
		{0, http.StatusOK},
		{59 * time.Second, http.StatusOK},
		{60*time.Second + 699*time.Millisecond, http.StatusOK},
		{60*time.Second + 700*time.Millisecond, http.StatusForbidden},
		{time.Hour, http.StatusForbidden},
	}
	for _, tt := range tests {
		s.clock.Set(t0.Add(300*time.Millisecond + tt.after))
		res := fetch(t, http.MethodGet, u)
		if res.Status != tt.want {
			t.Errorf("%v after signing: %d, want %d", tt.after, res.Status, tt.want)
		}
		if tt.want == http.StatusForbidden {
			checkForbidden(t, res, "Request has expired")
			// A download resuming under an expired link is refused too,
			// never served a part of the file.
			checkForbidden(t, blobtest.Request(t, http.MethodGet, u, "Range", "bytes=4-"), "Request has expired")
		}
	}
}

// checkForbidden checks a 403 with the JSON error body and no file bytes.
func checkForbidden(t *testing.T, res response, message string) {
	t.Helper()
	if res.Status != http.StatusForbidden {
		t.Fatalf("status %d, want 403", res.Status)
	}
	if strings.Contains(res.Body, gzipBytes[:4]) || res.Header.Get("Content-Disposition") != "" {
		t.Fatalf("403 with file bytes or a file name: %q", res.Body)
	}
	if got := res.Header.Get("Content-Type"); got != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", got)
	}
	var body struct {
		StatusCode int    `json:"statusCode"`
		Error      string `json:"error"`
		Message    string `json:"message"`
	}
	if err := json.Unmarshal([]byte(res.Body), &body); err != nil {
		t.Fatalf("403 body %q: %v", res.Body, err)
	}
	if body.StatusCode != 403 || body.Error != "Forbidden" || body.Message == "" {
		t.Errorf("403 body %q", res.Body)
	}
	if message != "" && body.Message != message {
		t.Errorf("message %q, want %q", body.Message, message)
	}
}

func TestTamperedLinks(t *testing.T) {
	s := newServer(t)
	const key, other = "job_3/dev.csv.gz", "job_4/dev.csv.gz"
	s.put(t, key, []byte(gzipBytes))
	s.put(t, other, []byte(gzipBytes))
	good, err := url.Parse(s.sign(t, key, time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	exp, sig := good.Query().Get("Expires"), good.Query().Get("Signature")
	later := strconv.FormatInt(t0.Unix()+3600, 10)
	base := s.url + "/exports/"
	flip := func(s string, i int) string {
		c := byte('A')
		if s[i] == 'A' {
			c = 'B'
		}
		return s[:i] + string(c) + s[i+1:]
	}
	tests := []struct {
		name, url, message string
	}{
		{"other path", base + other + "?" + good.RawQuery, "Signature does not match"},
		{"other file name", base + "job_3/dev.json.gz?" + good.RawQuery, "Signature does not match"},
		{"later expiry", base + key + "?Expires=" + later + "&Signature=" + sig, "Signature does not match"},
		{"expiry plus one", base + key + "?Expires=" + strconv.FormatInt(t0.Unix()+61, 10) + "&Signature=" + sig, "Signature does not match"},
		{"first signature character", base + key + "?Expires=" + exp + "&Signature=" + flip(sig, 0), "Signature does not match"},
		{"middle signature character", base + key + "?Expires=" + exp + "&Signature=" + flip(sig, 21), "Signature does not match"},
		{"last signature character", base + key + "?Expires=" + exp + "&Signature=" + flip(sig, len(sig)-1), ""},
		{"signature padded", base + key + "?Expires=" + exp + "&Signature=" + sig + "=", ""},
		{"short signature", base + key + "?Expires=" + exp + "&Signature=" + sig[:20], ""},
		{"no signature", base + key + "?Expires=" + exp, "Missing or malformed Expires or Signature"},
		{"no expiry", base + key + "?Signature=" + sig, "Missing or malformed Expires or Signature"},
		{"no query", base + key, "Missing or malformed Expires or Signature"},
		{"two signatures", base + key + "?" + good.RawQuery + "&Signature=" + sig, ""},
		{"expiry with a plus", base + key + "?Expires=%2B" + exp + "&Signature=" + sig, ""},
		{"expiry with a leading zero", base + key + "?Expires=0" + exp + "&Signature=" + sig, ""},
		{"expiry not a number", base + key + "?Expires=soon&Signature=" + sig, ""},
		{"bad escape", base + key + "?Expires=" + exp + "&Signature=" + sig + "&x=%zz", ""},
		{"no key", base + "?" + good.RawQuery, ""},
		{"dot dot key", base + "job_3/%2E%2E/job_4/dev.csv.gz?" + good.RawQuery, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkForbidden(t, fetch(t, http.MethodGet, tt.url), tt.message)
		})
	}
	if res := fetch(t, http.MethodGet, good.String()); res.Status != http.StatusOK {
		t.Fatalf("the untampered link: %d, want 200", res.Status)
	}
}

func TestMissingFile(t *testing.T) {
	s := newServer(t)
	const key = "job_5/dev.csv.gz"
	u := s.sign(t, key, time.Minute)
	checkForbidden(t, fetch(t, http.MethodGet, u), "")
	s.put(t, key, []byte(gzipBytes))
	if res := fetch(t, http.MethodGet, u); res.Status != http.StatusOK {
		t.Fatalf("after writing the file: %d, want 200", res.Status)
	}
	if err := s.store.Delete(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	checkForbidden(t, fetch(t, http.MethodGet, u), "")
}

func TestFileNames(t *testing.T) {
	s := newServer(t)
	tests := []struct{ key, disposition string }{
		{"job_6/my tenant.csv.gz", `attachment; filename="my tenant.csv.gz"`},
		{"job_6/a%b&c?.csv.gz", `attachment; filename="a%b&c?.csv.gz"`},
		{"job_6/zürich.json.gz", `attachment; filename*=utf-8''z%C3%BCrich.json.gz`},
		{`job_6/say "hi".csv.gz`, `attachment; filename="say \"hi\".csv.gz"`},
	}
	for _, tt := range tests {
		s.put(t, tt.key, []byte(gzipBytes))
		res := fetch(t, http.MethodGet, s.sign(t, tt.key, time.Minute))
		if res.Status != http.StatusOK || res.Body != gzipBytes {
			t.Errorf("%q: %d, want 200 and the file", tt.key, res.Status)
		}
		if got := res.Header.Get("Content-Disposition"); got != tt.disposition {
			t.Errorf("%q: Content-Disposition %q, want %q", tt.key, got, tt.disposition)
		}
	}
}

func TestKeysSignedByAnotherStore(t *testing.T) {
	s := newServer(t)
	const key = "job_7/dev.csv.gz"
	s.put(t, key, []byte(gzipBytes))
	otherKey := []byte(strings.Repeat("x", localblob.KeySize))
	other, err := localblob.New(t.TempDir(), s.url, otherKey, s.clock)
	if err != nil {
		t.Fatal(err)
	}
	u, err := other.SignedURL(context.Background(), key, time.Minute, "")
	if err != nil {
		t.Fatal(err)
	}
	checkForbidden(t, fetch(t, http.MethodGet, u), "Signature does not match")
}

func TestLinksBoundToTenant(t *testing.T) {
	s := newServer(t)
	const key = "job_8/dev.csv.gz"
	s.put(t, key, []byte(gzipBytes))
	forTenant := func(tenant string) *localblob.Store {
		st, err := s.store.ForTenant(tenant)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	dev, prod := forTenant("dev"), forTenant("prod")
	link, err := dev.SignedURL(context.Background(), key, time.Minute, "")
	if err != nil {
		t.Fatal(err)
	}
	if r := newRecorder(t, dev, link); r.Status != http.StatusOK || r.Body != gzipBytes {
		t.Errorf("the tenant's own link: %d %q", r.Status, r.Body)
	}
	checkForbidden(t, newRecorder(t, prod, link), "Signature does not match")
	checkForbidden(t, newRecorder(t, s.store, link), "Signature does not match") // no tenant
	if _, err := s.store.ForTenant("dev\nx"); err == nil {
		t.Error("ForTenant accepted a line break")
	}
}

// newRecorder serves u with store's handler, without a network.
func newRecorder(t *testing.T, store *localblob.Store, u string) response {
	t.Helper()
	rec := httptest.NewRecorder()
	store.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u, nil))
	return response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.String()}
}

// TestETag: a link that names the file's sha256 sends it as the strong
// ETag, by which ServeContent answers If-Range (another ETag: the whole
// file), If-None-Match and If-Match; the sha256 is signed with the rest of
// the link, and has one spelling. A link without it sends no ETag.
func TestETag(t *testing.T) {
	s := newServer(t)
	const key = "job_9/dev.csv.gz"
	s.put(t, key, []byte(gzipBytes))
	sum := sha256.Sum256([]byte(gzipBytes))
	hexSum := hex.EncodeToString(sum[:])
	u, err := s.store.SignedURL(context.Background(), key, time.Minute, hexSum)
	if err != nil {
		t.Fatal(err)
	}
	etag := `"` + hexSum + `"`
	tests := []struct {
		name   string
		header []string
		status int
		body   string
	}{
		{"plain", nil, http.StatusOK, gzipBytes},
		{"If-Range the ETag", []string{"Range", "bytes=4-", "If-Range", etag}, http.StatusPartialContent, gzipBytes[4:]},
		{"If-Range another ETag", []string{"Range", "bytes=4-", "If-Range", `"` + strings.Repeat("0", 64) + `"`}, http.StatusOK, gzipBytes},
		{"If-Range a weak ETag", []string{"Range", "bytes=4-", "If-Range", "W/" + etag}, http.StatusOK, gzipBytes},
		{"If-None-Match", []string{"If-None-Match", etag}, http.StatusNotModified, ""},
		{"If-Match another", []string{"If-Match", `"x"`}, http.StatusPreconditionFailed, ""},
	}
	for _, tt := range tests {
		res := blobtest.Request(t, http.MethodGet, u, tt.header...)
		if res.Status != tt.status || res.Body != tt.body && tt.body != "" || res.Header.Get("ETag") != etag && tt.status != http.StatusPreconditionFailed {
			t.Errorf("%s: %d, ETag %q, %d bytes; want %d, %s, %d bytes", tt.name, res.Status, res.Header.Get("ETag"), len(res.Body), tt.status, etag, len(tt.body))
		}
	}
	if res := fetch(t, http.MethodGet, s.sign(t, key, time.Minute)); res.Status != http.StatusOK || res.Header.Get("ETag") != "" {
		t.Errorf("a link without the sha256: %d, ETag %q; want 200 and none", res.Status, res.Header.Get("ETag"))
	}
	good, _ := url.Parse(u)
	q := good.Query()
	for name, query := range map[string]string{
		"another sha256": strings.Replace(good.RawQuery, hexSum, strings.Repeat("0", 64), 1),
		"upper case":     strings.Replace(good.RawQuery, hexSum, strings.ToUpper(hexSum), 1),
		"short":          strings.Replace(good.RawQuery, hexSum, hexSum[:62], 1),
		"twice":          good.RawQuery + "&SHA256=" + hexSum,
		"dropped":        "Expires=" + q.Get("Expires") + "&Signature=" + q.Get("Signature"),
	} {
		t.Run(name, func(t *testing.T) { checkForbidden(t, fetch(t, http.MethodGet, s.url+"/exports/"+key+"?"+query), "") })
	}
	for _, bad := range []string{"00", strings.ToUpper(hexSum), hexSum + "0", strings.Repeat("g", 64)} {
		if _, err := s.store.SignedURL(context.Background(), key, time.Minute, bad); userport.ErrorCode(err) != userport.EINVALID {
			t.Errorf("SignedURL with sha256 %q: %v, want EINVALID", bad, err)
		}
	}
}
