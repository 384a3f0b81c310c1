//go:build unix

package main

// Cluster-wide secrets through the built binary: two API nodes on one
// PostgreSQL schema share the token signing keys and the download key,
// sealed in the database with USERPORT_MASTER_KEY.

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport/internal/config"
	"github.com/userport/userport/vault"
)

// secretsNodeDir returns a data dir of a node whose exports directory is
// shared (a volume every node mounts), and nothing else.
func secretsNodeDir(t *testing.T, shared string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Symlink(shared, filepath.Join(dir, "exports")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// secretsClient is a client of the node at addr, which answers for the
// public URL every node shares.
func secretsClient(t *testing.T, addr, public string) *bundle {
	return &bundle{t: t, m: &Main{Config: Config{PublicURL: public, Tenant: "dev"}}, base: "http://" + addr,
		id: adminID, secret: adminSecret, client: &http.Client{Timeout: 60 * time.Second}}
}

// secretsWaitReady waits until the process answers /readyz at addr.
func secretsWaitReady(t *testing.T, p *imProcess, addr string) {
	t.Helper()
	exPoll(t, 60*time.Second, "serve to answer at "+addr, func() bool {
		if p.cmd.ProcessState != nil {
			t.Fatalf("serve exited:\n%s", p.logs.String())
		}
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// jwksOf returns the kids a node publishes.
func jwksOf(t *testing.T, c *bundle) []string {
	t.Helper()
	r := c.request(http.MethodGet, "/.well-known/jwks.json", nil)
	r.wantStatus(t, http.StatusOK)
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	r.decode(t, &set)
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}

// runBinary runs the binary with args and the environment env (nil: the
// test's), and returns its output, failing t if it fails.
func runBinary(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	out, err := secretsCommand(bin, env, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("userport %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// secretsCommand is the binary with args and the environment env (nil: the
// test's), stopped after 60 s.
func secretsCommand(bin string, env []string, args ...string) *exec.Cmd {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	_ = cancel // the command ends by itself or at the timeout
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	return cmd
}

// TestScaleSecrets starts two API nodes (serve --jobs none) at once on an
// empty schema and one worker, and checks that the nodes share one key set
// kept sealed in the database: a token of node A works on node B, a
// download link signed by A works on B, a key rotated with `userport keys
// rotate` is signed with by A and accepted by B (which reads its keys again
// for the unknown kid: its periodic reload is set to an hour), `userport
// token` signs for every node, and the master key is rotated by giving the
// new key first and the old one second.
func TestScaleSecrets(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it on PostgreSQL")
	}
	databaseURL := scaleDatabase(t)
	bin := buildUserport(t)
	shared := t.TempDir()
	dirA, dirB, dirW := secretsNodeDir(t, shared), secretsNodeDir(t, shared), secretsNodeDir(t, shared)
	addrA, addrB := imFreeAddr(t), imFreeAddr(t)
	public := "http://" + addrA // behind a load balancer, every node has the public URL
	flags := []string{"--jobs", "none", "--database-url", databaseURL, "--public-url", public}
	t.Setenv("USERPORT_KEY_REFRESH", "100ms")
	a := imStart(t, bin, dirA, addrA, append([]string{"serve"}, flags...)...)
	t.Setenv("USERPORT_KEY_REFRESH", "1h")
	b := imStart(t, bin, dirB, addrB, append([]string{"serve"}, flags...)...)
	secretsWaitReady(t, a, addrA)
	secretsWaitReady(t, b, addrB)
	imStart(t, bin, dirW, imFreeAddr(t), "worker", "--database-url", databaseURL, "--public-url", public)
	ca, cb := secretsClient(t, addrA, public), secretsClient(t, addrB, public)

	// One key set, in the database, sealed; none in the data dirs.
	first := jwksOf(t, ca)
	if got := jwksOf(t, cb); len(first) != 1 || !slices.Equal(got, first) {
		t.Fatalf("nodes started at once publish %q and %q, want one and the same key", first, got)
	}
	for _, dir := range []string{dirA, dirB, dirW} {
		for _, name := range []string{"signing-keys", "download-key", "cursor-key", "webhook-key"} {
			if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s in a data dir in scale mode: %v", name, err)
			}
		}
	}
	secretsCheckSealed(t, databaseURL, []string{"cursor-key", "download-key", "signing-key/000001", "webhook-key"})

	// A token of A on B; an export through B, whose link A signs, served by B.
	tokA := ca.token()
	cb.api(http.MethodGet, "/connections", tokA, nil).wantStatus(t, http.StatusOK)
	r := cb.api(http.MethodPost, "/jobs/users-exports", tokA, map[string]any{"format": "json"})
	r.wantStatus(t, http.StatusOK)
	var job exJob
	r.decode(t, &job)
	var done *exJob
	exPoll(t, 60*time.Second, "the export to complete", func() bool {
		done = ca.exJob(job.ID)
		return done.Status == "completed"
	})
	secretsDownloadOnB(t, done.Location, addrB)

	// A rotation reaches A by its periodic reload, B by the unknown kid.
	kid := strings.TrimSpace(runBinary(t, bin, os.Environ(), "keys", "rotate", "--data-dir", t.TempDir(), "--database-url", databaseURL))
	var tok string
	exPoll(t, 30*time.Second, "A to sign with the new key "+kid, func() bool {
		tok = ca.token()
		return kidOf(t, tok) == kid
	})
	cb.api(http.MethodGet, "/connections", tok, nil).wantStatus(t, http.StatusOK)
	if got := jwksOf(t, cb); !slices.Equal(got, append(first, kid)) {
		t.Errorf("B publishes %q after the rotation, want %q", got, append(first, kid))
	}

	// userport token signs with the database's key, for every node.
	tok = strings.TrimSpace(runBinary(t, bin, os.Environ(), "token", "--data-dir", t.TempDir(), "--database-url", databaseURL,
		"--public-url", public, "--client-id", adminID))
	if kidOf(t, tok) != kid {
		t.Errorf("userport token signs with %s, want %s", kidOf(t, tok), kid)
	}
	cb.api(http.MethodGet, "/connections", tok, nil).wantStatus(t, http.StatusOK)
	ca.api(http.MethodGet, "/connections", tok, nil).wantStatus(t, http.StatusOK)

	secretsRotateMasterKey(t, bin, databaseURL)
}

// secretsCheckSealed fails t unless the secrets table holds exactly names,
// none with a PEM header in plain text.
func secretsCheckSealed(t *testing.T, databaseURL string, names []string) {
	t.Helper()
	secrets, err := (&scaleEnv{databaseURL: databaseURL}).store(t).ListSecrets(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range secrets {
		if bytes.Contains(s.Sealed, []byte("PRIVATE KEY")) {
			t.Errorf("secret %s is stored in plain text", s.Name)
		}
		got = append(got, s.Name)
	}
	if !slices.Equal(got, names) {
		t.Errorf("secrets in the database: %q, want %q", got, names)
	}
}

// secretsDownloadOnB fetches a download link signed by A from node B, and
// checks that B refuses it altered.
func secretsDownloadOnB(t *testing.T, location, addrB string) {
	t.Helper()
	u, err := url.Parse(location)
	if err != nil || u.Query().Get("Signature") == "" {
		t.Fatalf("location %q is no signed link of the local blob store", location)
	}
	u.Host = addrB
	resp, err := http.Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("B answers %d to A's download link", resp.StatusCode)
	}
	q := u.Query()
	q.Set("Expires", q.Get("Expires")+"0")
	u.RawQuery = q.Encode()
	resp, err = http.Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("B answers %d to an altered link, want 403", resp.StatusCode)
	}
}

// secretsRotateMasterKey rotates the master key as docs/operations.md says:
// the new key first and the old one second re-seals every secret, after
// which the new key alone opens them and the old one is refused.
func secretsRotateMasterKey(t *testing.T, bin, databaseURL string) {
	t.Helper()
	old, fresh := os.Getenv(config.EnvMasterKey), vault.NewMasterKey()
	list := func(key string) (string, error) {
		env := append(withoutMasterKey(), config.EnvMasterKey+"="+key)
		out, err := secretsCommand(bin, env, "keys", "list", "--data-dir", t.TempDir(), "--database-url", databaseURL).CombinedOutput()
		return string(out), err
	}
	before, err := list(old)
	if err != nil {
		t.Fatalf("keys list: %v\n%s", err, before)
	}
	if out, err := list(fresh + "," + old); err != nil || out != before {
		t.Fatalf("keys list with the new and the old key: %v\n%s\nwant\n%s", err, out, before)
	}
	if out, err := list(fresh); err != nil || out != before {
		t.Fatalf("keys list with the new key after the re-seal: %v\n%s", err, out)
	}
	if out, err := list(old); err == nil || !strings.Contains(out, "wrong USERPORT_MASTER_KEY") {
		t.Fatalf("keys list with the old key after the re-seal: %v\n%s", err, out)
	}
}

// withoutMasterKey is the test's environment without the master key settings.
func withoutMasterKey() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, config.EnvMasterKey+"=") || strings.HasPrefix(kv, config.EnvMasterKeyFile+"=")
	})
}

// TestScaleSecretsStartFailures: a missing, malformed or wrong master key
// stops serve, the worker and userport token at start with a message naming
// the setting, never a panic.
func TestScaleSecretsStartFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it on PostgreSQL")
	}
	databaseURL := scaleDatabase(t)
	bin := buildUserport(t)
	// The first start seals the keys with the test's master key.
	runBinary(t, bin, os.Environ(), "keys", "list", "--data-dir", t.TempDir(), "--database-url", databaseURL)
	other := filepath.Join(t.TempDir(), "master-key")
	if err := os.WriteFile(other, []byte(vault.NewMasterKey()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	right := os.Getenv(config.EnvMasterKey)
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"missing", nil, "scale mode (a postgres:// --database-url) needs USERPORT_MASTER_KEY or USERPORT_MASTER_KEY_FILE"},
		{"malformed", []string{config.EnvMasterKey + "=correct-horse-battery-staple"}, "invalid USERPORT_MASTER_KEY: key 1 of 1: not 32 bytes in base64"},
		{"wrong", []string{config.EnvMasterKey + "=" + vault.NewMasterKey()}, "wrong USERPORT_MASTER_KEY: it does not open the secrets in the database"},
		{"wrong file", []string{config.EnvMasterKeyFile + "=" + other}, "wrong USERPORT_MASTER_KEY_FILE: it does not open the secrets in the database"},
		{"missing file", []string{config.EnvMasterKeyFile + "=" + other + ".gone"}, "USERPORT_MASTER_KEY_FILE: open " + other + ".gone: no such file"},
		{"both", []string{config.EnvMasterKey + "=" + right, config.EnvMasterKeyFile + "=" + other}, "set USERPORT_MASTER_KEY or USERPORT_MASTER_KEY_FILE, not both"},
	}
	commands := [][]string{
		{"serve", "--jobs", "none", "--addr", imFreeAddr(t)},
		{"worker"},
		{"token", "--client-id", adminID},
	}
	for _, tt := range tests {
		for _, cmd := range commands {
			t.Run(tt.name+"/"+cmd[0], func(t *testing.T) {
				args := append(slices.Clone(cmd), "--data-dir", t.TempDir(), "--database-url", databaseURL)
				c := secretsCommand(bin, append(withoutMasterKey(), tt.env...), args...)
				out, err := c.CombinedOutput()
				var exit *exec.ExitError
				if !errors.As(err, &exit) || !strings.Contains(string(out), tt.want) || strings.Contains(string(out), "panic") {
					t.Fatalf("%s exited with %v, output:\n%s\nwant an error containing %q", cmd[0], err, out, tt.want)
				}
				if strings.Contains(string(out), right) {
					t.Errorf("the message quotes the master key:\n%s", out)
				}
			})
		}
	}
}
