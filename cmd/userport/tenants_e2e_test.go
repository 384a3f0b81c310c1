package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/userport/userport/auth"
	"github.com/userport/userport/internal/config"
)

// TestTenantsShareDataDir: a second tenant served from the same data dir
// gets an admin client file of its own (admin-client.other.json) and leaves
// the first tenant's admin-client.json as it was; the client commands and
// `userport token` find each tenant's file by --tenant, and both secrets
// work.
func TestTenantsShareDataDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	installTestKey(t, dir)
	servers := map[string]*bundle{}
	files := map[string][]byte{}
	for _, tenant := range []string{"dev", "other"} {
		cfg := testConfig(dir)
		cfg.Tenant, cfg.Jobs, cfg.AdminClientID, cfg.AdminClientSecret = tenant, config.JobsNone, "", ""
		servers[tenant] = start(t, cfg, newTestClock())
		if tenant == "dev" {
			files[tenant] = readFile(t, filepath.Join(dir, "admin-client.json"))
		}
	}
	files["other"] = readFile(t, filepath.Join(dir, "admin-client.other.json"))
	if got := readFile(t, filepath.Join(dir, "admin-client.json")); !bytes.Equal(got, files["dev"]) {
		t.Fatalf("the second tenant rewrote admin-client.json:\n%s\nwas\n%s", got, files["dev"])
	}
	if bytes.Equal(files["dev"], files["other"]) {
		t.Fatal("both tenants' files hold the same client")
	}
	for tenant, b := range servers {
		out, _, err := cliRun("jobs", "list", "--data-dir", dir, "--tenant", tenant, "--url", b.base)
		if err != nil || !strings.Contains(out, "no jobs here") {
			t.Errorf("jobs list on %s with its file: %v\n%s", tenant, err, out)
		}
		tok, _, err := cliRun("token", "--data-dir", dir, "--tenant", tenant, "--addr", strings.TrimPrefix(b.base, "http://"))
		if err != nil {
			t.Fatalf("token --tenant %s: %v", tenant, err)
		}
		b.api("GET", "/users", strings.TrimSpace(tok), nil).wantStatus(t, 200)
		var f auth.AdminFile
		if err := json.Unmarshal(files[tenant], &f); err != nil {
			t.Fatal(err)
		}
		b.tokenForm(map[string][]string{"grant_type": {"client_credentials"}, "client_id": {f.ClientID},
			"client_secret": {f.ClientSecret}, "audience": {b.audience()}}).wantStatus(t, 200)
	}
	_, _, err := cliRun("jobs", "list", "--data-dir", dir, "--tenant", "Bad Tenant")
	cliOneLine(t, err, `invalid --tenant (USERPORT_TENANT) "Bad Tenant"`)
}

// readFile returns the content of path.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
