package config_test

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/userport/userport/internal/config"
)

func TestGiven(t *testing.T) {
	var cfg config.Config
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	cfg.ServerFlags(fs)
	if err := parse(fs, &cfg, "--public-url", "http://example.com"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		names []string
		want  bool
	}{
		{[]string{"public-url"}, true},
		{[]string{"addr", "public-url"}, true},
		{[]string{"addr"}, false},
		{[]string{"data-dir"}, false},
		{nil, false},
	} {
		if got := config.Given(fs, tt.names...); got != tt.want {
			t.Errorf("Given(%q) = %v, want %v", tt.names, got, tt.want)
		}
	}
}

func TestTempDataDir(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	newFlags := func(args ...string) (*flag.FlagSet, *config.Config) {
		var cfg config.Config
		fs := flag.NewFlagSet("bench", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		cfg.ServerFlags(fs)
		if err := parse(fs, &cfg, args...); err != nil {
			t.Fatal(err)
		}
		return fs, &cfg
	}
	for _, keep := range []bool{false, true} {
		fs, cfg := newFlags()
		cleanup, err := cfg.TempDataDir(fs, "userport-test-", keep)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(filepath.Base(cfg.DataDir), "userport-test-") {
			t.Errorf("data dir %q", cfg.DataDir)
		}
		cleanup()
		if _, err := os.Stat(cfg.DataDir); (err == nil) != keep {
			t.Errorf("keep %v: after cleanup, stat %s: %v", keep, cfg.DataDir, err)
		}
	}
	given := filepath.Join(t.TempDir(), "mine")
	fs, cfg := newFlags("--data-dir", given)
	cleanup, err := cfg.TempDataDir(fs, "userport-test-", false)
	if err != nil {
		t.Fatal(err)
	}
	cleanup()
	if cfg.DataDir != given {
		t.Errorf("data dir %q, want the one given, %q", cfg.DataDir, given)
	}
}
