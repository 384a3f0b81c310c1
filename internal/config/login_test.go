package config_test

import (
	"bytes"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/userport/userport/internal/config"
	"github.com/userport/userport/internal/profile"
	"github.com/userport/userport/internal/profile/profiletest"
)

// tokenServer answers /oauth/token with a token for the secret "right",
// and refuses any other.
func tokenServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/oauth/token" || !strings.Contains(readBody(r), "right") {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"access_denied","error_description":"Unauthorized"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"tok","token_type":"Bearer","expires_in":3600}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// readBody is r's body, as text.
func readBody(r *http.Request) string {
	var b bytes.Buffer
	_, _ = b.ReadFrom(r.Body)
	return b.String()
}

// TestLogin: credentials are checked before they are saved (mode 0600),
// with the server's base URL; missing or refused ones save nothing. Not
// parallel: it points the user's configuration directory at a temporary
// one.
func TestLogin(t *testing.T) {
	profiletest.Isolate(t)
	base := tokenServer(t)
	for _, tt := range []struct {
		p    profile.Profile
		want string
	}{
		{profile.Profile{URL: base, ClientID: "c"}, "give --url, --client-id and --client-secret"},
		{profile.Profile{URL: "ftp://x", ClientID: "c", ClientSecret: "right"}, `invalid URL "ftp://x"`},
		{profile.Profile{URL: base, ClientID: "c", ClientSecret: "wrong"}, "the credentials were not saved"},
	} {
		if _, _, err := config.Login(t.Context(), tt.p); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Login(%+v): %v, want an error containing %q", tt.p, err, tt.want)
		}
		if p, _, err := profile.Load(); p != nil || !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("after a refused login: profile %+v, %v; want none", p, err)
		}
	}
	saved, path, err := config.Login(t.Context(), profile.Profile{URL: base + "/api/v2/", ClientID: "c", ClientSecret: "right"})
	if err != nil || saved.URL != base {
		t.Fatalf("Login: %+v, %v; want the URL %s", saved, err, base)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("profile %s: %v, %v; want mode 0600", path, fi, err)
	}
	if p, _, err := profile.Load(); err != nil || p == nil || *p != saved {
		t.Errorf("saved profile %+v, %v; want %+v", p, err, saved)
	}
}

// TestParseClientCommand: a client command takes exactly its arguments,
// showing its help on a wrong count, and gets the client of its settings.
func TestParseClientCommand(t *testing.T) {
	t.Setenv("USERPORT_URL", "")
	for _, tt := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--token", "t", "--url", "http://h:1", "job_1"}, ""},
		{[]string{"--token", "t", "--url", "http://h:1"}, "userport jobs get: want 1 argument(s), got 0"},
		{[]string{"--token", "t", "--url", "http://h:1", "a", "b"}, "unexpected arguments: [b]"},
	} {
		var rc config.Remote
		fs := config.NewFlagSet("jobs get", "ID [flags]", "print a job")
		rc.Flags(fs)
		var stderr bytes.Buffer
		rest, c, err := rc.ParseClientCommand(fs, tt.args, &stderr, 1)
		switch {
		case tt.wantErr == "" && (err != nil || len(rest) != 1 || c == nil || c.URL() != "http://h:1"):
			t.Errorf("%q: %q, %v, %v", tt.args, rest, c, err)
		case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
			t.Errorf("%q: %v, want %q", tt.args, err, tt.wantErr)
		case strings.HasSuffix(tt.wantErr, "got 0") && !strings.HasPrefix(stderr.String(), "Usage: userport jobs get ID"):
			t.Errorf("%q: stderr %q, want the command's help", tt.args, stderr.String())
		}
	}
}
