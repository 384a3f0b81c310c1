package config_test

import (
	"flag"
	"os"
	"testing"

	"github.com/userport/userport/auth"
	"github.com/userport/userport/internal/config"
)

// TestTokenServerURL: `userport token` signs for the server its data dir's
// admin client file names (where it last served), unless --addr or
// --public-url say otherwise; an older file's token URL names it too;
// without a file, the default address.
func TestTokenServerURL(t *testing.T) {
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
		{"", nil, "http://127.0.0.1:8080"},
	} {
		dir := t.TempDir()
		if tt.file != "" {
			if err := os.WriteFile(auth.AdminFilePath(dir, "dev"), []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		var cfg config.Config
		fs := flag.NewFlagSet("token", flag.ContinueOnError)
		cfg.TokenFlags(fs)
		if err := parse(fs, &cfg, append([]string{"--data-dir", dir}, tt.args...)...); err != nil {
			t.Fatal(err)
		}
		if got := cfg.TokenServerURL(fs); got != tt.want {
			t.Errorf("%s %v: %s, want %s", tt.file, tt.args, got, tt.want)
		}
		if got, want := cfg.AdminClient(), map[bool]string{true: "adm", false: ""}[tt.file != ""]; got != want {
			t.Errorf("%s: admin client %q, want %q", tt.file, got, want)
		}
	}
	cfg := config.Config{AdminClientID: "configured", DataDir: t.TempDir(), Tenant: "dev"}
	if got := cfg.AdminClient(); got != "configured" {
		t.Errorf("configured admin client: %q", got)
	}
}
