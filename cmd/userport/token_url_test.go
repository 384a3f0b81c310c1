package main

import (
	"os"
	"strings"
	"testing"

	"github.com/userport/userport/auth"
	"github.com/userport/userport/internal/testutil"
)

// TestTokenServerURL: `userport token` signs for the server its data dir's
// admin client file names (where it last served), unless --addr or
// --public-url say otherwise; an older file's token URL names it too.
func TestTokenServerURL(t *testing.T) {
	t.Parallel()
	const (
		withURL = `{"client_id":"adm","client_secret":"s","url":"http://127.0.0.1:23456"}`
		older   = `{"client_id":"adm","client_secret":"s","audience":"http://127.0.0.1:4000/api/v2/","token_url":"http://127.0.0.1:4000/oauth/token"}`
	)
	for _, tt := range []struct {
		file string
		args []string
		want string
	}{
		{withURL, nil, "http://127.0.0.1:23456"},
		{older, nil, "http://127.0.0.1:4000"},
		{withURL, []string{"--addr", "127.0.0.1:9999"}, "http://127.0.0.1:9999"},
		{withURL, []string{"--public-url", "https://up.example"}, "https://up.example"},
	} {
		dir := t.TempDir()
		installTestKey(t, dir)
		if err := os.WriteFile(auth.AdminFilePath(dir, "dev"), []byte(tt.file), 0o600); err != nil {
			t.Fatal(err)
		}
		out, _, err := cliRun(append([]string{"token", "--data-dir", dir}, tt.args...)...)
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		_, payload := testutil.TokenParts(t, strings.TrimSpace(out))
		if payload["aud"] != tt.want+"/api/v2/" || payload["iss"] != tt.want+"/" || payload["sub"] != "adm@clients" {
			t.Errorf("%s %v: aud %v, iss %v, sub %v; want %s", tt.file, tt.args, payload["aud"], payload["iss"], payload["sub"], tt.want)
		}
	}
}
