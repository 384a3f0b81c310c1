package config_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport/auth"
	"github.com/userport/userport/internal/config"
	"github.com/userport/userport/internal/profile"
	"github.com/userport/userport/internal/profile/profiletest"
)

// TestRemoteServer: the client commands find the server and credentials
// in the flags (and their twins), then the saved profile, then the admin
// client file (its URL, or an older file's token URL), then the default;
// Source names which.
func TestRemoteServer(t *testing.T) {
	type files struct{ profile, admin string }
	const (
		newAdmin = `{"client_id":"f","client_secret":"fs","url":"http://127.0.0.1:23456"}`
		oldAdmin = `{"client_id":"f","client_secret":"fs","audience":"http://127.0.0.1:4000/api/v2/","token_url":"http://127.0.0.1:4000/oauth/token"}`
		bareOld  = `{"client_id":"f","client_secret":"fs"}`
	)
	prof := &profile.Profile{URL: "https://p.example/api/v2/", ClientID: "p", ClientSecret: "ps"}
	for _, tt := range []struct {
		name                      string
		rc                        config.Remote
		env                       string // USERPORT_URL
		profile                   *profile.Profile
		admin                     string
		wantURL, wantID, wantFrom string
	}{
		{"flags", config.Remote{URL: "http://h:1/api/v2/", ClientID: "c", ClientSecret: "cs"}, "", prof, newAdmin, "http://h:1", "c", "--url"},
		{"env", config.Remote{URL: "http://h:2", Token: "t"}, "http://h:2", prof, newAdmin, "http://h:2", "", "USERPORT_URL"},
		{"profile", config.Remote{}, "", prof, newAdmin, "https://p.example", "p", "the profile "},
		{"profile of the URL given", config.Remote{URL: "https://p.example"}, "", prof, newAdmin, "https://p.example", "p", "--url"},
		{"profile of another URL", config.Remote{URL: "http://h:3"}, "", prof, newAdmin, "http://h:3", "f", "--url"},
		{"admin file", config.Remote{}, "", nil, newAdmin, "http://127.0.0.1:23456", "f", "the admin client file "},
		{"older admin file", config.Remote{}, "", nil, oldAdmin, "http://127.0.0.1:4000", "f", "the admin client file "},
		{"admin file without a URL", config.Remote{}, "", nil, bareOld, config.DefaultURL, "f", "the default"},
		{"credentials only", config.Remote{ClientID: "c", ClientSecret: "cs"}, "", prof, newAdmin, config.DefaultURL, "c", "the default"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			profiletest.Isolate(t)
			if tt.env != "" {
				t.Setenv("USERPORT_URL", tt.env)
			}
			if tt.profile != nil {
				if _, err := profile.Save(*tt.profile); err != nil {
					t.Fatal(err)
				}
			}
			rc := tt.rc
			rc.DataDir, rc.Tenant, rc.PollInterval = t.TempDir(), "dev", time.Second
			if err := os.WriteFile(auth.AdminFilePath(rc.DataDir, "dev"), []byte(tt.admin), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := rc.Validate(); err != nil {
				t.Fatal(err)
			}
			if rc.URL != tt.wantURL || rc.ClientID != tt.wantID || !strings.HasPrefix(rc.Source, tt.wantFrom) {
				t.Errorf("URL %s, client %q, from %q; want %s, %q, from %q", rc.URL, rc.ClientID, rc.Source, tt.wantURL, tt.wantID, tt.wantFrom)
			}
		})
	}
}

// TestRemoteUnreachable: a server that cannot be reached is an error that
// says where the URL came from and how to give another.
func TestRemoteUnreachable(t *testing.T) {
	profiletest.Isolate(t)
	rc := config.Remote{Token: "t", DataDir: t.TempDir(), Tenant: "dev", PollInterval: time.Second}
	if err := rc.Validate(); err != nil {
		t.Fatal(err)
	}
	rc.URL = "http://127.0.0.1:1" // nothing listens on port 1
	c, err := rc.Client()
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Job(t.Context(), "job_x")
	for _, want := range []string{"cannot reach 127.0.0.1:1", "from the default", "--url", "USERPORT_URL", "userport login"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}

// TestRemoteBadProfile: a profile that cannot be read is an error, not a
// silent fall back to another server.
func TestRemoteBadProfile(t *testing.T) {
	dir := profiletest.Isolate(t)
	if err := os.MkdirAll(dir+"/userport", 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/userport/profile.json", []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	rc := config.Remote{DataDir: t.TempDir(), Tenant: "dev", PollInterval: time.Second}
	if err := rc.Validate(); err == nil || !strings.Contains(err.Error(), "userport logout") {
		t.Errorf("Validate = %v, want the profile refused", err)
	}
}
