package blobtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// request sends method to u with the headers given (name, value, ...).
func request(t *testing.T, method, u string, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, string(body)}
}

// testRanges: a link answers a range with 206, its bytes exactly and the
// size (Content-Range), HEAD with the size (unless it is signed for GET
// only, as S3's presigned links are), If-Range with the link's own strong ETag like a plain
// range, several ranges with 200 (the whole file) or 206 and each part
// (RFC 9110 lets a server choose), and a range past the end with 416. A
// fresh link names the file by the same ETag, so that a download resumes
// under it.
func testRanges(t *testing.T, s Store) {
	const key = "job_9/r1/dev.csv.gz"
	want := data(300_000)
	sum := sha256.Sum256(want)
	put(t, s, key, want)
	u := signSum(t, s, key, time.Minute, hex.EncodeToString(sum[:]))
	first := request(t, http.MethodGet, u, "Range", "bytes=0-0")
	if first.status != http.StatusPartialContent || first.header.Get("Content-Range") != "bytes 0-0/"+strconv.Itoa(len(want)) {
		t.Fatalf("the first byte: %d, Content-Range %q; want 206 and the size", first.status, first.header.Get("Content-Range"))
	}
	etag := first.header.Get("ETag")
	if etag == "" || strings.HasPrefix(etag, "W/") {
		t.Fatalf("ETag %q, want a strong one", etag)
	}
	head := request(t, http.MethodHead, u)
	switch {
	case s.GetOnly && (head.status < 400 || head.status > 499):
		t.Errorf("HEAD of a link signed for GET only: %d, want a 4xx", head.status)
	case !s.GetOnly && (head.status != http.StatusOK || head.body != "" || head.header.Get("Content-Length") != strconv.Itoa(len(want)) || head.header.Get("ETag") != etag):
		t.Errorf("HEAD: %d, Content-Length %q, ETag %q, %d bytes of body; want 200, %d, %s, none", head.status,
			head.header.Get("Content-Length"), head.header.Get("ETag"), len(head.body), len(want), etag)
	}
	if wantTag := `"` + hex.EncodeToString(sum[:]) + `"`; s.ETagIsSHA256 && etag != wantTag {
		t.Errorf("ETag %s, want the sha256 %s", etag, wantTag)
	}
	for _, tt := range []struct {
		header     []string
		start, end int // of the bytes answered
	}{
		{[]string{"Range", "bytes=100-199"}, 100, 200},
		{[]string{"Range", "bytes=150000-"}, 150_000, len(want)},
		{[]string{"Range", "bytes=-10"}, len(want) - 10, len(want)},
		{[]string{"Range", "bytes=299999-400000"}, len(want) - 1, len(want)},
		{[]string{"Range", "bytes=150000-", "If-Range", etag}, 150_000, len(want)},
	} {
		res := request(t, http.MethodGet, u, tt.header...)
		wantRange := "bytes " + strconv.Itoa(tt.start) + "-" + strconv.Itoa(tt.end-1) + "/" + strconv.Itoa(len(want))
		if res.status != http.StatusPartialContent || res.header.Get("Content-Range") != wantRange || res.body != string(want[tt.start:tt.end]) {
			t.Errorf("%q: %d, Content-Range %q, %d bytes; want 206, %q and bytes %d to %d", tt.header, res.status,
				res.header.Get("Content-Range"), len(res.body), wantRange, tt.start, tt.end)
		}
		if res.header.Get("Content-Encoding") != "" || res.header.Get("ETag") != etag {
			t.Errorf("%q: Content-Encoding %q, ETag %q; want none and %s", tt.header, res.header.Get("Content-Encoding"), res.header.Get("ETag"), etag)
		}
	}
	checkMultiRange(t, request(t, http.MethodGet, u, "Range", "bytes=0-9,20000-20029"), want, [][2]int{{0, 10}, {20000, 20030}})
	if res := request(t, http.MethodGet, u, "Range", "bytes=300000-"); res.status != http.StatusRequestedRangeNotSatisfiable || strings.Contains(res.body, string(want[:16])) {
		t.Errorf("a range past the end: %d, %d bytes; want 416 and no file", res.status, len(res.body))
	}
	fresh := request(t, http.MethodGet, signSum(t, s, key, time.Hour, hex.EncodeToString(sum[:])), "Range", "bytes=0-0")
	if fresh.header.Get("ETag") != etag {
		t.Errorf("a fresh link's ETag %q, want the first one's %q", fresh.header.Get("ETag"), etag)
	}
}

// checkMultiRange checks the answer res to a request of several ranges:
// the whole file (200), or each range (206 multipart/byteranges).
func checkMultiRange(t *testing.T, res response, want []byte, ranges [][2]int) {
	t.Helper()
	if res.status == http.StatusOK {
		if res.body != string(want) {
			t.Errorf("several ranges: 200 with %d bytes, not the file", len(res.body))
		}
		return
	}
	mt, params, err := mime.ParseMediaType(res.header.Get("Content-Type"))
	if res.status != http.StatusPartialContent || err != nil || mt != "multipart/byteranges" {
		t.Fatalf("several ranges: %d %q, want 200, or 206 multipart/byteranges", res.status, res.header.Get("Content-Type"))
	}
	mr := multipart.NewReader(strings.NewReader(res.body), params["boundary"])
	for _, r := range ranges {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("several ranges: part %v: %v", r, err)
		}
		got, err := io.ReadAll(p)
		if err != nil || !bytes.Equal(got, want[r[0]:r[1]]) {
			t.Errorf("several ranges: part %v holds %d bytes (%v), not the file's", r, len(got), err)
		}
	}
	if _, err := mr.NextPart(); err != io.EOF {
		t.Errorf("several ranges: more parts than asked for (%v)", err)
	}
}

// signSum is sign for a blob whose sha256 is sum.
func signSum(t *testing.T, s Store, key string, ttl time.Duration, sum string) string {
	t.Helper()
	u, err := s.SignedURL(ctx, key, ttl, sum)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
