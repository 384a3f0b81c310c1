// Package blobtest is the behaviour every userport.BlobStore shows, as one
// suite of tests that each store's own tests run against a real backend:
// atomic commits, aborts and deletions that leave nothing behind, blobs of
// several parts, and download links that work, expire and cannot be altered.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
)

// Store is a blob store under test and what the suite needs to know of it.
type Store struct {
	userport.BlobStore
	// Leftovers lists what the store keeps in its storage, by blob key:
	// committed blobs and whatever an unfinished writer left (temporary
	// files, unfinished uploads), the latter under any name that is no
	// committed blob's key.
	Leftovers func(t *testing.T) []string
	// ETagIsSHA256 says that the store's links send the sha256 given to
	// SignedURL as the ETag (a store that serves its links itself); S3
	// sends its own.
	ETagIsSHA256 bool
	// GetOnly says that links are signed for GET only (S3's presigned
	// GETs): HEAD is refused, and a client learns the size from a range's
	// Content-Range.
	GetOnly bool
	// PartSize is the size beyond which the store writes a blob in several
	// pieces (parts, writeback chunks); 0 means 1 MiB.
	PartSize int
}

// Run runs the suite, each test on a new, empty store from open. Download
// links are fetched with net/http, so they must point at a server that is
// running.
func Run(t *testing.T, open func(t *testing.T) Store) {
	tests := []struct {
		name string
		test func(t *testing.T, s Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"Sizes", testSizes},
		{"CommitIsAtomic", testCommitIsAtomic},
		{"AbortLeavesNothing", testAbortLeavesNothing},
		{"DeleteDir", testDeleteDir},
		{"BadKeys", testBadKeys},
		{"Download", testDownload},
		{"LinksExpire", testLinksExpire},
		{"TamperedLinks", testTamperedLinks},
		{"Ranges", testRanges},
		{"Join", testJoin},
		{"JoinFailures", testJoinFailures},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			if s.PartSize == 0 {
				s.PartSize = 1 << 20
			}
			tt.test(t, s)
		})
	}
}

var ctx = context.Background()

// data returns n bytes that differ from one part to the next.
func data(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>13)
	}
	return b
}

// put writes data to key in writes of at most 64 KiB and commits it.
func put(t *testing.T, s Store, key string, data []byte) {
	t.Helper()
	w := create(t, s, key, data)
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit(%q): %v", key, err)
	}
}

// create writes data to key in writes of at most 64 KiB, without committing.
func create(t *testing.T, s Store, key string, data []byte) userport.BlobWriter {
	t.Helper()
	w, err := s.Create(ctx, key)
	if err != nil {
		t.Fatalf("Create(%q): %v", key, err)
	}
	for chunk := range slices.Chunk(data, 64<<10+3) {
		if _, err := w.Write(chunk); err != nil {
			t.Fatalf("Write(%q): %v", key, err)
		}
	}
	return w
}

// read returns the committed blob's bytes.
func read(t *testing.T, s Store, key string) []byte {
	t.Helper()
	r, err := s.Open(ctx, key)
	if err != nil {
		t.Fatalf("Open(%q): %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return b
}

// checkRead checks that key holds want.
func checkRead(t *testing.T, s Store, key string, want []byte) {
	t.Helper()
	if got := read(t, s, key); !bytes.Equal(got, want) {
		t.Fatalf("%q holds %d bytes, not the %d written (first differing at %d)", key, len(got), len(want), firstDiff(got, want))
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// notExist checks that Open of key fails with fs.ErrNotExist.
func notExist(t *testing.T, s Store, key string) {
	t.Helper()
	r, err := s.Open(ctx, key)
	if err == nil {
		r.Close()
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open(%q): %v, want an error wrapping fs.ErrNotExist", key, err)
	}
}

// checkLeftovers checks that the store keeps exactly want.
func checkLeftovers(t *testing.T, s Store, want ...string) {
	t.Helper()
	got := s.Leftovers(t)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("the store keeps %q, want %q", got, want)
	}
}

func testRoundTrip(t *testing.T, s Store) {
	const key = "job_AbCdEfGhIjKlMnOp/r1/dev.csv.gz"
	want := data(100_000)
	put(t, s, key, want)
	checkRead(t, s, key, want)
	checkLeftovers(t, s, key)
	if err := s.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	notExist(t, s, key)
	checkLeftovers(t, s)
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("Delete of a missing blob: %v", err)
	}
}

// testSizes writes blobs around the part size: in one piece, in several, and
// ending exactly at a part's end.
func testSizes(t *testing.T, s Store) {
	p := s.PartSize
	for _, n := range []int{0, 1, p - 1, p, p + 1, 2 * p, 2*p + 12345} {
		key := "job_sizes/" + strings.Repeat("x", 1+n%7) + ".gz"
		want := data(n)
		put(t, s, key, want)
		checkRead(t, s, key, want)
		if err := s.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	checkLeftovers(t, s)
}

// testCommitIsAtomic checks that a blob is missing until committed, then
// whole, and that rewriting it keeps the old one whole until the commit.
func testCommitIsAtomic(t *testing.T, s Store) {
	const key = "job_atomic/dev.json.gz"
	v1, v2 := data(2*s.PartSize+1), bytes.Repeat([]byte("version 2\n"), s.PartSize/4)
	w := create(t, s, key, v1)
	notExist(t, s, key)
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	checkRead(t, s, key, v1)

	w = create(t, s, key, v2)
	checkRead(t, s, key, v1)
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	checkRead(t, s, key, v2)
	if err := w.Abort(); err != nil {
		t.Errorf("Abort after Commit: %v, want nil", err)
	}
	if err := w.Commit(); err == nil {
		t.Errorf("second Commit succeeded")
	}
	if _, err := w.Write([]byte("more")); err == nil {
		t.Errorf("Write after Commit succeeded")
	}
	checkRead(t, s, key, v2)
	checkLeftovers(t, s, key)
}

func testAbortLeavesNothing(t *testing.T, s Store) {
	for _, n := range []int{7, 2*s.PartSize + 1} {
		const key = "job_abort/a/dev.csv.gz"
		w := create(t, s, key, data(n))
		if err := w.Abort(); err != nil {
			t.Fatalf("Abort after %d bytes: %v", n, err)
		}
		notExist(t, s, key)
		checkLeftovers(t, s)
		if _, err := w.Write([]byte("more")); err == nil {
			t.Errorf("Write after Abort succeeded")
		}
		if err := w.Commit(); err == nil {
			t.Errorf("Commit after Abort succeeded")
		}
		notExist(t, s, key)
	}
}

// testDeleteDir deletes a directory with committed blobs, in subdirectories
// too, and a writer that never finished (its process was killed), and keeps
// the directory whose name starts with the same letters.
func testDeleteDir(t *testing.T, s Store) {
	put(t, s, "job_5/r1/dev.csv.gz", []byte("csv"))
	put(t, s, "job_5/dev.json.gz", []byte("json"))
	put(t, s, "job_50/r1/dev.csv.gz", []byte("other job"))
	create(t, s, "job_5/r2/dev.csv.gz", data(s.PartSize+1)) // abandoned
	if err := s.DeleteDir(ctx, "job_5"); err != nil {
		t.Fatal(err)
	}
	notExist(t, s, "job_5/r1/dev.csv.gz")
	notExist(t, s, "job_5/dev.json.gz")
	notExist(t, s, "job_5/r2/dev.csv.gz")
	checkRead(t, s, "job_50/r1/dev.csv.gz", []byte("other job"))
	checkLeftovers(t, s, "job_50/r1/dev.csv.gz")
	if err := s.DeleteDir(ctx, "job_5"); err != nil {
		t.Errorf("DeleteDir of a missing directory: %v", err)
	}
	if err := s.DeleteDir(ctx, "job_50/r1"); err != nil {
		t.Fatal(err)
	}
	checkLeftovers(t, s)
}

func testBadKeys(t *testing.T, s Store) {
	for _, key := range []string{"", ".", "..", "../x", "a/../b", "a/..", "/abs", "a//b", "a/", "a/./b", "nul\x00byte", "line\nbreak"} {
		calls := map[string]error{}
		_, calls["Create"] = s.Create(ctx, key)
		_, calls["Open"] = s.Open(ctx, key)
		_, calls["SignedURL"] = s.SignedURL(ctx, key, time.Minute, "")
		calls["Delete"] = s.Delete(ctx, key)
		calls["DeleteDir"] = s.DeleteDir(ctx, key)
		for call, err := range calls {
			if userport.ErrorCode(err) != userport.EINVALID {
				t.Errorf("%s(%q): %v, want an EINVALID error", call, key, err)
			}
		}
	}
	if _, err := s.SignedURL(ctx, "job_1/dev.csv.gz", 0, ""); userport.ErrorCode(err) != userport.EINVALID {
		t.Errorf("SignedURL with a lifetime of 0: %v, want an EINVALID error", err)
	}
	checkLeftovers(t, s)
}

// gzipBytes is a small gzip member; a download must send it as it is.
const gzipBytes = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff\x4a\x4c\x4a\x06\x04\x00\x00\xff\xff\xc2\x41\x24\x35\x03\x00\x00\x00"

// Response is what a blob link answered: its status, headers and body.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// fetch GETs u with net/http.
func fetch(t *testing.T, u string) Response {
	t.Helper()
	return Request(t, http.MethodGet, u)
}

// refused reports whether res denies the download: a 4xx without the file.
func (res Response) refused() bool {
	return res.Status >= 400 && res.Status < 500 && !strings.Contains(res.Body, gzipBytes[:4]) &&
		res.Header.Get("Content-Disposition") == ""
}

func sign(t *testing.T, s Store, key string, ttl time.Duration) string {
	t.Helper()
	u, err := s.SignedURL(ctx, key, ttl, "")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func testDownload(t *testing.T, s Store) {
	tests := []struct{ key, disposition, contentType string }{
		{"job_6/r1/dev.csv.gz", `attachment; filename="dev.csv.gz"`, "application/gzip"},
		{"job_6/r1/my tenant.json.gz", `attachment; filename="my tenant.json.gz"`, "application/gzip"},
		{"job_6/r1/zürich.csv.gz", `attachment; filename*=utf-8''z%C3%BCrich.csv.gz`, "application/gzip"},
		{"job_6/r1/dev.parquet", `attachment; filename="dev.parquet"`, "application/vnd.apache.parquet"},
	}
	for _, tt := range tests {
		put(t, s, tt.key, []byte(gzipBytes))
		res := fetch(t, sign(t, s, tt.key, time.Minute))
		if res.Status != http.StatusOK || res.Body != gzipBytes {
			t.Fatalf("%q: %d %q, want 200 and the file", tt.key, res.Status, res.Body)
		}
		want := map[string]string{
			"Content-Type":        tt.contentType,
			"Content-Disposition": tt.disposition,
			"Content-Encoding":    "",
		}
		for name, want := range want {
			if got := res.Header.Get(name); got != want {
				t.Errorf("%q: %s %q, want %q", tt.key, name, got, want)
			}
		}
	}
	const missing = "job_6/r1/missing.csv.gz"
	if res := fetch(t, sign(t, s, missing, time.Minute)); !res.refused() {
		t.Errorf("link to a missing blob: %d %q, want it refused", res.Status, res.Body)
	}
}

// testLinksExpire polls a link with a short lifetime until it is refused,
// which must not happen before the lifetime (less the second that expiry
// times are rounded to) has passed.
func testLinksExpire(t *testing.T, s Store) {
	const key, ttl = "job_7/dev.csv.gz", 2 * time.Second
	put(t, s, key, []byte(gzipBytes))
	signed := time.Now()
	u := sign(t, s, key, ttl)
	if res := fetch(t, u); res.Status != http.StatusOK {
		t.Fatalf("fresh link: %d %q, want 200", res.Status, res.Body)
	}
	for deadline := signed.Add(ttl + 10*time.Second); ; time.Sleep(100 * time.Millisecond) {
		res, at := fetch(t, u), time.Now()
		if res.refused() {
			if early := signed.Add(ttl - time.Second); at.Before(early) {
				t.Fatalf("link refused %v after signing, want it valid for %v", at.Sub(signed), ttl)
			}
			break
		}
		if res.Status != http.StatusOK {
			t.Fatalf("link: %d %q, want 200 or a refusal", res.Status, res.Body)
		}
		if at.After(deadline) {
			t.Fatalf("link of %v still served %v after signing", ttl, at.Sub(signed))
		}
	}
	if res := fetch(t, sign(t, s, key, time.Minute)); res.Status != http.StatusOK {
		t.Fatalf("new link after expiry: %d, want 200", res.Status)
	}
}

// testTamperedLinks alters a working link (one that names the blob's
// sha256): another blob's path, each query parameter's value changed or
// dropped. The server must refuse each one.
func testTamperedLinks(t *testing.T, s Store) {
	const key, other = "job_8/r1/dev.csv.gz", "job_8/r1/dev.json.gz"
	put(t, s, key, []byte(gzipBytes))
	put(t, s, other, []byte(gzipBytes))
	sum := sha256.Sum256([]byte(gzipBytes))
	good, err := url.Parse(signSum(t, s, key, time.Hour, hex.EncodeToString(sum[:])))
	if err != nil {
		t.Fatal(err)
	}
	tampered := map[string]string{}
	otherPath := *good
	otherPath.Path, otherPath.RawPath = strings.Replace(good.Path, "dev.csv.gz", "dev.json.gz", 1), ""
	tampered["path of another blob"] = otherPath.String()
	params := strings.Split(good.RawQuery, "&")
	for i, param := range params {
		name, value, _ := strings.Cut(param, "=")
		alter := func(desc, q string) {
			u := *good
			u.RawQuery = q
			tampered[desc+" "+name] = u.String()
		}
		alter("changed", join(params, i, name+"="+changed(value)))
		alter("dropped", join(params, i, ""))
	}
	if len(params) < 2 {
		t.Fatalf("link %s has no signature parameters", good)
	}
	for desc, u := range tampered {
		if res := fetch(t, u); !res.refused() {
			t.Errorf("%s (%s): %d %q, want it refused", desc, u, res.Status, res.Body)
		}
	}
	if res := fetch(t, good.String()); res.Status != http.StatusOK {
		t.Fatalf("the untampered link: %d, want 200", res.Status)
	}
}

// join joins params with params[i] replaced by p, or dropped if p is empty.
func join(params []string, i int, p string) string {
	q := slices.Clone(params)
	if p == "" {
		q = slices.Delete(q, i, i+1)
	} else {
		q[i] = p
	}
	return strings.Join(q, "&")
}

// changed returns v with its last character changed to another one that
// keeps it well-formed: a digit for a digit, a letter for a letter.
func changed(v string) string {
	if v == "" {
		return "x"
	}
	c := v[len(v)-1]
	switch {
	case c >= '0' && c <= '8':
		c++
	case c == '9':
		c = '0'
	case c == 'A':
		c = 'B'
	default:
		c = 'A'
	}
	return v[:len(v)-1] + string(c)
}

// partData returns n bytes of part i, which differ from every other part's.
func partData(i, n int) []byte {
	b := data(n)
	for k := range b {
		b[k] ^= byte(i*31 + 1)
	}
	return b
}

// testJoin joins parts below and above the part size (S3's 5 MiB minimum of
// every part of an upload but the last), in every order that matters: small
// parts first, between large ones, last, and alone. The joined blob is the
// parts end to end, visible under its key, and the parts are left as they
// were.
func testJoin(t *testing.T, s Store) {
	p := s.PartSize
	for _, tt := range []struct {
		name  string
		sizes []int
	}{
		{"one small part", []int{10}},
		{"one large part", []int{p + 5}},
		{"small parts", []int{1, 20, 300}},
		{"large parts", []int{p, 2*p + 1, p + 3}},
		{"small between large", []int{p + 1, 17, p / 2, 2*p + 5, 4}},
		{"small first", []int{5, p + 9}},
		{"small parts adding up past the part size", []int{p / 2, p / 2, p / 2, 7}},
		{"large then small last", []int{p + 11, 3}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var keys []string
			var want []byte
			dir := "job_join" + strings.Repeat("x", len(tt.sizes)) + fmt.Sprint(tt.sizes[0])
			for i, n := range tt.sizes {
				key := fmt.Sprintf("%s/parts/%d/r1.gz", dir, i)
				b := partData(i, n)
				put(t, s, key, b)
				keys, want = append(keys, key), append(want, b...)
			}
			joined := dir + "/r1/dev.csv.gz"
			n, err := s.Join(ctx, joined, keys)
			if err != nil {
				t.Fatalf("Join(%v): %v", tt.sizes, err)
			}
			if n != int64(len(want)) {
				t.Errorf("Join(%v) = %d bytes, want %d", tt.sizes, n, len(want))
			}
			checkRead(t, s, joined, want)
			for i, key := range keys {
				checkRead(t, s, key, partData(i, tt.sizes[i]))
			}
			checkLeftovers(t, s, append(keys, joined)...)
			if err := s.DeleteDir(ctx, dir); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// testJoinFailures joins a missing part, and no parts: nothing appears under
// the key and nothing is left behind.
func testJoinFailures(t *testing.T, s Store) {
	const joined = "job_joinfail/r1/dev.csv.gz"
	put(t, s, "job_joinfail/parts/0/r1.gz", data(s.PartSize+1))
	_, err := s.Join(ctx, joined, []string{"job_joinfail/parts/0/r1.gz", "job_joinfail/parts/1/r1.gz"})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Join with a missing part: %v, want an error wrapping fs.ErrNotExist", err)
	}
	notExist(t, s, joined)
	checkLeftovers(t, s, "job_joinfail/parts/0/r1.gz")
	if _, err := s.Join(ctx, joined, nil); userport.ErrorCode(err) != userport.EINVALID {
		t.Errorf("Join of no parts: %v, want EINVALID", err)
	}
	if _, err := s.Join(ctx, "../x", []string{"job_joinfail/parts/0/r1.gz"}); userport.ErrorCode(err) != userport.EINVALID {
		t.Errorf("Join into a bad key: %v, want EINVALID", err)
	}
	notExist(t, s, joined)
	checkLeftovers(t, s, "job_joinfail/parts/0/r1.gz")
}
