package auth_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
	"github.com/userport/userport/internal/testutil"
)

// newAdmin returns an Admin of tenant over e's store, its file in dir.
func newAdmin(e *testutil.Embedded, dir, tenant string) *auth.Admin {
	return &auth.Admin{Store: e.Store, Tenant: tenant, DataDir: dir, PublicURL: "http://127.0.0.1:8080", Clock: e.Clock}
}

// wantAdminClient fails unless tenant's client f.ClientID exists with every
// scope and f.ClientSecret as its secret.
func wantAdminClient(t *testing.T, e *testutil.Embedded, tenant string, f *auth.AdminFile) {
	t.Helper()
	c, err := e.Store.FindClient(t.Context(), tenant, f.ClientID)
	if err != nil {
		t.Fatalf("client %s of %s: %v", f.ClientID, tenant, err)
	}
	if !auth.CheckSecret(c.SecretHash, f.ClientSecret) || !slices.Equal(c.Scopes, auth.AllScopes()) {
		t.Errorf("client %s of %s: the file's secret does not match, or scopes %v are not all", f.ClientID, tenant, c.Scopes)
	}
}

func TestAdminFilePath(t *testing.T) {
	for tenant, want := range map[string]string{
		userport.DefaultTenant: "admin-client.json",
		"other":                "admin-client.other.json",
		"a-1":                  "admin-client.a-1.json",
	} {
		if got := auth.AdminFilePath("/data", tenant); got != filepath.Join("/data", want) {
			t.Errorf("AdminFilePath(%q) = %s, want %s", tenant, got, want)
		}
	}
}

// TestAdminFirstStart: the first start writes the credentials file (0600)
// and stores its client; later starts change nothing.
func TestAdminFirstStart(t *testing.T) {
	e, dir := testutil.NewEmbedded(t), t.TempDir()
	b, err := newAdmin(e, dir, "dev").Ensure(t.Context())
	if err != nil || !b.Created || b.Path != filepath.Join(dir, "admin-client.json") {
		t.Fatalf("Ensure = %+v, %v; want admin-client.json created", b, err)
	}
	fi, err := os.Stat(b.Path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("stat %s: %v, %v; want mode 0600", b.Path, fi, err)
	}
	f, err := auth.ReadAdminFile(dir, "dev")
	if err != nil || *f != *b.File || f.TokenURL != "http://127.0.0.1:8080/oauth/token" || f.Audience != "http://127.0.0.1:8080/api/v2/" {
		t.Fatalf("ReadAdminFile = %+v, %v; want %+v", f, err, b.File)
	}
	wantAdminClient(t, e, "dev", f)
	before, _ := os.ReadFile(b.Path)
	if again, err := newAdmin(e, dir, "dev").Ensure(t.Context()); err != nil || again.File != nil {
		t.Errorf("second Ensure = %+v, %v; want nothing done", again, err)
	}
	if after, _ := os.ReadFile(b.Path); !bytes.Equal(before, after) {
		t.Error("the second start rewrote the file")
	}
}

// TestAdminTenantsShareDataDir: a second tenant on the same data dir gets a
// file of its own; the first tenant's file and secret stay as they were.
func TestAdminTenantsShareDataDir(t *testing.T) {
	e, dir := testutil.NewEmbedded(t), t.TempDir()
	if _, err := userport.EnsureTenant(t.Context(), e.Store, "other", e.Clock); err != nil {
		t.Fatal(err)
	}
	files := map[string]*auth.AdminFile{}
	for _, tenant := range []string{"dev", "other"} {
		b, err := newAdmin(e, dir, tenant).Ensure(t.Context())
		if err != nil || !b.Created {
			t.Fatalf("Ensure %s = %+v, %v", tenant, b, err)
		}
		files[tenant] = b.File
	}
	for tenant, want := range files {
		f, err := auth.ReadAdminFile(dir, tenant)
		if err != nil || *f != *want {
			t.Fatalf("%s's file: %+v, %v; want %+v", tenant, f, err, want)
		}
		wantAdminClient(t, e, tenant, f)
	}
	if files["dev"].ClientID == files["other"].ClientID {
		t.Error("both tenants got the same client")
	}
}

// TestAdminKeepsExistingFile: a tenant with no client but a credentials
// file (its database replaced, or a start that stopped between the two
// writes) registers the file's client; the file is never overwritten.
func TestAdminKeepsExistingFile(t *testing.T) {
	e, dir := testutil.NewEmbedded(t), t.TempDir()
	kept := auth.AdminFile{ClientID: "kept-client", ClientSecret: "kept-secret", Audience: "a", TokenURL: "u"}
	data, _ := json.Marshal(kept)
	path := filepath.Join(dir, "admin-client.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := newAdmin(e, dir, "dev").Ensure(t.Context())
	if err != nil || b.Created || *b.File != kept {
		t.Fatalf("Ensure = %+v, %v; want the file's client registered", b, err)
	}
	wantAdminClient(t, e, "dev", &kept)
	if after, _ := os.ReadFile(path); !bytes.Equal(after, data) {
		t.Error("the file was rewritten")
	}
}

// TestAdminRefusesBadFile: a file that holds no credentials stops the
// start with an error naming it, and stays as it was.
func TestAdminRefusesBadFile(t *testing.T) {
	for _, content := range []string{"", "{", `{"client_id":"x"}`, `[]`} {
		e, dir := testutil.NewEmbedded(t), t.TempDir()
		path := filepath.Join(dir, "admin-client.json")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := newAdmin(e, dir, "dev").Ensure(t.Context())
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("file %q: Ensure = %v, want an error naming %s", content, err, path)
		}
		if after, _ := os.ReadFile(path); string(after) != content {
			t.Errorf("file %q rewritten as %q", content, after)
		}
		if n, _ := e.Store.CountClients(t.Context(), "dev"); n != 0 {
			t.Errorf("file %q: %d clients stored, want none", content, n)
		}
	}
}

// TestAdminConfigured: a configured admin client is stored with every
// scope, and no file is written.
func TestAdminConfigured(t *testing.T) {
	e, dir := testutil.NewEmbedded(t), t.TempDir()
	a := newAdmin(e, dir, "dev")
	a.ID, a.Secret = "configured", "configured-secret"
	if b, err := a.Ensure(t.Context()); err != nil || b.File != nil {
		t.Fatalf("Ensure = %+v, %v", b, err)
	}
	wantAdminClient(t, e, "dev", &auth.AdminFile{ClientID: "configured", ClientSecret: "configured-secret"})
	if _, err := os.Stat(filepath.Join(dir, "admin-client.json")); !os.IsNotExist(err) {
		t.Errorf("a file was written (%v)", err)
	}
}

// TestReadAdminFileRefusesPaths: a tenant name never leads out of the data dir.
func TestReadAdminFileRefusesPaths(t *testing.T) {
	for _, tenant := range []string{"", "../x", "a/b", `a\b`, ".hidden"} {
		if _, err := auth.ReadAdminFile(t.TempDir(), tenant); err == nil || os.IsNotExist(err) {
			t.Errorf("ReadAdminFile(%q) = %v, want a refusal", tenant, err)
		}
	}
}

// TestAdminRecordURL: each start records the URL the server serves on in
// the credentials file, keeping its credentials; a file of an older
// release, without a URL, still names its server by its token URL.
func TestAdminRecordURL(t *testing.T) {
	e, dir := testutil.NewEmbedded(t), t.TempDir()
	first, err := newAdmin(e, dir, "dev").Ensure(t.Context())
	if err != nil || first.File.URL != "http://127.0.0.1:8080" || first.File.ServerURL() != "http://127.0.0.1:8080" {
		t.Fatalf("Ensure = %+v, %v; want the URL in the new file", first.File, err)
	}
	a := newAdmin(e, dir, "dev")
	a.PublicURL = "http://127.0.0.1:23456"
	if _, err := a.Ensure(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := a.RecordURL(); err != nil {
		t.Fatal(err)
	}
	f, err := auth.ReadAdminFile(dir, "dev")
	want := auth.AdminFile{ClientID: first.File.ClientID, ClientSecret: first.File.ClientSecret, URL: a.PublicURL,
		Audience: a.PublicURL + "/api/v2/", TokenURL: a.PublicURL + "/oauth/token"}
	if err != nil || *f != want {
		t.Fatalf("after a start on another port: %+v, %v; want %+v", f, err, want)
	}
	if fi, err := os.Stat(auth.AdminFilePath(dir, "dev")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after RecordURL: %v, %v; want 0600", fi, err)
	}
	if err := newAdmin(e, t.TempDir(), "dev").RecordURL(); err != nil {
		t.Errorf("RecordURL with no file: %v, want nothing done", err)
	}
	for file, want := range map[string]string{
		`{"client_id":"a","client_secret":"b","audience":"http://h:1/api/v2/","token_url":"http://h:1/oauth/token"}`: "http://h:1",
		`{"client_id":"a","client_secret":"b"}`: "",
	} {
		var old auth.AdminFile
		if err := json.Unmarshal([]byte(file), &old); err != nil || old.ServerURL() != want {
			t.Errorf("ServerURL of %s = %q, %v; want %q", file, old.ServerURL(), err, want)
		}
	}
}
