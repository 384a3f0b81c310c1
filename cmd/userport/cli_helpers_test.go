package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/userport/userport/client"
	"github.com/userport/userport/internal/testutil"
)

// cliArgs is a client command's args followed by the flags that point it at
// the server of b with its admin client, polling jobs every 10 ms.
func (b *bundle) cliArgs(args ...string) []string {
	return append(args, "--url", b.base, "--client-id", b.id, "--client-secret", b.secret, "--poll-interval", "10ms")
}

// cliRun runs the command args in this process and returns what it wrote
// to stdout and stderr, and its error.
func cliRun(args ...string) (stdout, stderr string, err error) {
	var out, errb bytes.Buffer
	err = run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

// cliClient returns a client of b's server with its admin client.
func (b *bundle) cliClient(opts client.Options) *client.Client {
	b.t.Helper()
	if opts.URL == "" {
		opts.URL = b.base
	}
	if opts.Token == "" && opts.ClientID == "" {
		opts.ClientID, opts.ClientSecret = b.id, b.secret
	}
	c, err := client.New(opts)
	if err != nil {
		b.t.Fatal(err)
	}
	return c
}

// cliLines returns the lines of the gzip'd file at path.
func cliLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(exGunzip(t, data)), "\n"), "\n")
}

// cliNoPartFiles fails if a temporary download file is left in dir.
func cliNoPartFiles(t *testing.T, dir string) {
	t.Helper()
	parts, _ := filepath.Glob(filepath.Join(dir, ".*.part"))
	if len(parts) > 0 {
		t.Errorf("temporary files left: %v", parts)
	}
}

// cliOneLine fails unless err is one line containing want.
func cliOneLine(t *testing.T, err error, want string) { t.Helper(); testutil.WantOneLine(t, err, want) }
