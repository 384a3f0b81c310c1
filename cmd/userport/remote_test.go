package main

import (
	"os"
	"strings"
	"testing"

	"github.com/userport/userport/auth"
	"github.com/userport/userport/internal/profile/profiletest"
)

// TestLoginLogout: login checks the credentials before saving them (mode
// 0600); the client commands then find the server and credentials in the
// profile without a flag; logout removes it. Not parallel: it points the
// user's configuration directory at a temporary one.
func TestLoginLogout(t *testing.T) {
	profiletest.Isolate(t)
	b := setup(t)
	empty := t.TempDir() // a data dir with no admin client file
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--url", b.base, "--client-id", b.id}, "give --url, --client-id and --client-secret"}, // the other cases: config's TestLogin
		{[]string{"--url", b.base, "--client-id", b.id, "--client-secret", b.secret, "extra"}, "unexpected arguments"},
	} {
		if _, _, err := cliRun(append([]string{"login"}, tt.args...)...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("login %q: %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
	_, _, err := cliRun("login", "--url", b.base, "--client-id", b.id, "--client-secret", "wrong")
	if err == nil || !strings.Contains(err.Error(), "not saved") {
		t.Fatalf("login with a wrong secret: %v", err)
	}
	if _, _, err := cliRun("jobs", "list", "--data-dir", empty); err == nil || !strings.Contains(err.Error(), "userport login") {
		t.Fatalf("jobs list with no profile: %v, want a hint at userport login", err)
	}
	out, _, err := cliRun("login", "--url", b.base+"/api/v2/", "--client-id", b.id, "--client-secret", b.secret)
	if err != nil || !strings.Contains(out, "logged in to "+b.base+" ") {
		t.Fatalf("login: %v %q", err, out)
	}
	path := strings.TrimSuffix(out[strings.Index(out, "saved to ")+len("saved to "):], " (userport logout removes it)\n")
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("profile %s: %v, %v; want mode 0600", path, fi, err)
	}
	if _, _, err := cliRun("jobs", "list", "--data-dir", empty); err != nil {
		t.Errorf("jobs list with the profile: %v", err)
	}
	if out, _, err := cliRun("logout"); err != nil || out != "removed "+path+"\n" {
		t.Errorf("logout: %v %q", err, out)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the profile is still there: %v", err)
	}
	if out, _, err := cliRun("logout"); err != nil || !strings.HasPrefix(out, "no profile to remove") {
		t.Errorf("second logout: %v %q", err, out)
	}
}

// TestServeRecordsURL: serve writes the URL it serves on into the admin
// client file, over the one a start on another port wrote, keeping the
// credentials. Not parallel: it points the user's configuration directory
// at a temporary one (no saved profile).
func TestServeRecordsURL(t *testing.T) {
	profiletest.Isolate(t)
	dir := t.TempDir()
	installTestKey(t, dir)
	old := `{"client_id":"adm","client_secret":"adm-secret","url":"http://127.0.0.1:1","audience":"http://127.0.0.1:1/api/v2/"}`
	if err := os.WriteFile(auth.AdminFilePath(dir, "dev"), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(dir)
	cfg.AdminClientID, cfg.AdminClientSecret = "", ""
	b := start(t, cfg, newTestClock())
	f, err := auth.ReadAdminFile(dir, "dev")
	if err != nil || f.URL != b.base || f.Audience != b.base+"/api/v2/" || f.ClientID != "adm" || f.ClientSecret != "adm-secret" {
		t.Fatalf("file %+v, %v; want the URL %s and the credentials kept", f, err, b.base)
	}
	// A client command finds the server by the file alone.
	if out, _, err := cliRun("jobs", "list", "--data-dir", dir, "--json"); err != nil || !strings.Contains(out, `"jobs"`) {
		t.Errorf("jobs list by the admin client file: %v %q", err, out)
	}
}
