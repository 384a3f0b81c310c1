package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/userport/userport/internal/testutil"
)

// TestCLIExportResumes: `userport export` through a proxy (the server's
// public URL) that cuts the file's download at half its size resumes it,
// says where, checks the file against the manifest and says so; a file
// changed on the way (its gzip still sound, its sha256 another) fails the
// command with the mismatch, and no file is written.
func TestCLIExportResumes(t *testing.T) {
	t.Parallel()
	proxy := testutil.NewCutProxy(t, "http://127.0.0.1:1") // aimed at the server once it listens
	proxy.Match = func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/exports/") }
	b := exStart(t, func(c *Config) { c.PublicURL = proxy.URL })
	proxy.SetTarget(t, b.base)
	b.putUsers(b.connection(upa), 0, 2000)
	dir := t.TempDir()
	viaProxy := *b
	viaProxy.base = proxy.URL
	args := func(path string) []string { return viaProxy.cliArgs("export", "-o", path) }

	proxy.CutShare[0] = 0.5
	path := filepath.Join(dir, "all.csv.gz")
	out, _, err := cliRun(args(path)...)
	if err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	resumed := fmt.Sprintf("the connection broke at byte %d of %d: the download resumed there\n", len(data)/2, len(data))
	checked := fmt.Sprintf("checked against the manifest: %d bytes, sha256 %s;", len(data), hex.EncodeToString(sum[:]))
	if !strings.Contains(out, resumed) || !strings.Contains(out, checked) || cliSummary.FindStringSubmatch(out) == nil {
		t.Errorf("output:\n%s\nwant %q and %q", out, resumed, checked)
	}
	if lines := cliLines(t, path); len(lines) != 2001 {
		t.Errorf("the file holds %d lines, want a header and 2000 users", len(lines))
	}
	if reqs := proxy.Requests(); len(reqs) != 2 || reqs[1].Get("Range") != fmt.Sprintf("bytes=%d-", len(data)/2) {
		t.Errorf("downloads %v, want the GET and one Range from the cut", reqs)
	}

	proxy.Flip[2] = 4 // the gzip header's MTIME: the stream stays sound, its sha256 changes
	bad := filepath.Join(dir, "bad.csv.gz")
	_, _, err = cliRun(args(bad)...)
	cliOneLine(t, err, "does not match the export's manifest: sha256 ")
	if err != nil && !regexp.MustCompile(`sha256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}$`).MatchString(err.Error()) {
		t.Errorf("the mismatch does not name both sums: %v", err)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("a file that does not match the manifest was written: %v", err)
	}
	cliNoPartFiles(t, dir)
}
