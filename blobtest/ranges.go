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

// Request sends method to u with the headers given (name, value, ...).
func Request(t *testing.T, method, u string, header ...string) Response {
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
	return Response{res.StatusCode, res.Header, string(body)}
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
	first := Request(t, http.MethodGet, u, "Range", "bytes=0-0")
	if first.Status != http.StatusPartialContent || first.Header.Get("Content-Range") != "bytes 0-0/"+strconv.Itoa(len(want)) {
		t.Fatalf("the first byte: %d, Content-Range %q; want 206 and the size", first.Status, first.Header.Get("Content-Range"))
	}
	etag := first.Header.Get("ETag")
	if etag == "" || strings.HasPrefix(etag, "W/") {
		t.Fatalf("ETag %q, want a strong one", etag)
	}
	head := Request(t, http.MethodHead, u)
	switch {
	case s.GetOnly && (head.Status < 400 || head.Status > 499):
		t.Errorf("HEAD of a link signed for GET only: %d, want a 4xx", head.Status)
	case !s.GetOnly && (head.Status != http.StatusOK || head.Body != "" || head.Header.Get("Content-Length") != strconv.Itoa(len(want)) || head.Header.Get("ETag") != etag):
		t.Errorf("HEAD: %d, Content-Length %q, ETag %q, %d bytes of body; want 200, %d, %s, none", head.Status,
			head.Header.Get("Content-Length"), head.Header.Get("ETag"), len(head.Body), len(want), etag)
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
		res := Request(t, http.MethodGet, u, tt.header...)
		wantRange := "bytes " + strconv.Itoa(tt.start) + "-" + strconv.Itoa(tt.end-1) + "/" + strconv.Itoa(len(want))
		if res.Status != http.StatusPartialContent || res.Header.Get("Content-Range") != wantRange || res.Body != string(want[tt.start:tt.end]) {
			t.Errorf("%q: %d, Content-Range %q, %d bytes; want 206, %q and bytes %d to %d", tt.header, res.Status,
				res.Header.Get("Content-Range"), len(res.Body), wantRange, tt.start, tt.end)
		}
		if res.Header.Get("Content-Encoding") != "" || res.Header.Get("ETag") != etag {
			t.Errorf("%q: Content-Encoding %q, ETag %q; want none and %s", tt.header, res.Header.Get("Content-Encoding"), res.Header.Get("ETag"), etag)
		}
	}
	checkMultiRange(t, Request(t, http.MethodGet, u, "Range", "bytes=0-9,20000-20029"), want, [][2]int{{0, 10}, {20000, 20030}})
	if res := Request(t, http.MethodGet, u, "Range", "bytes=300000-"); res.Status != http.StatusRequestedRangeNotSatisfiable || strings.Contains(res.Body, string(want[:16])) {
		t.Errorf("a range past the end: %d, %d bytes; want 416 and no file", res.Status, len(res.Body))
	}
	fresh := Request(t, http.MethodGet, signSum(t, s, key, time.Hour, hex.EncodeToString(sum[:])), "Range", "bytes=0-0")
	if fresh.Header.Get("ETag") != etag {
		t.Errorf("a fresh link's ETag %q, want the first one's %q", fresh.Header.Get("ETag"), etag)
	}
}

// checkMultiRange checks the answer res to a request of several ranges:
// the whole file (200), or each range (206 multipart/byteranges).
func checkMultiRange(t *testing.T, res Response, want []byte, ranges [][2]int) {
	t.Helper()
	if res.Status == http.StatusOK {
		if res.Body != string(want) {
			t.Errorf("several ranges: 200 with %d bytes, not the file", len(res.Body))
		}
		return
	}
	mt, params, err := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if res.Status != http.StatusPartialContent || err != nil || mt != "multipart/byteranges" {
		t.Fatalf("several ranges: %d %q, want 200, or 206 multipart/byteranges", res.Status, res.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(strings.NewReader(res.Body), params["boundary"])
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
