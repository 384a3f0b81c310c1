package main

import (
	"context"
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestServeRefusesBadFlags checks that serve stops at a bad setting with a
// message that names it, before it opens anything.
func TestServeRefusesBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
		env  string // NAME=value of one environment variable
	}{
		{[]string{"--jobs", "sometimes"}, `invalid --jobs "sometimes"`, ""},
		{[]string{"--jobs", ""}, "" /* empty is inline, as for a Config built in code */, ""},
		{[]string{"--workers", "-1"}, "must not be negative", ""},
		{[]string{"--tenant", "Not A Tenant"}, "invalid tenant", ""},
		{nil, "EXPORT_STALE_AFTER", "USERPORT_EXPORT_STALE_AFTER=-1s"},
		{nil, "CLEANUP_INTERVAL", "USERPORT_CLEANUP_INTERVAL=-5m"},
		{nil, `invalid USERPORT_MIN_TRANSFER_RATE "fast"`, "USERPORT_MIN_TRANSFER_RATE=fast"},
		{nil, `invalid USERPORT_IDLE_TIMEOUT "60"`, "USERPORT_IDLE_TIMEOUT=60"},
		{[]string{"--transfer-grace", "-1s"}, "must not be negative", ""},
		{[]string{"--token-ttl", "721h"}, "invalid --token-ttl (USERPORT_TOKEN_TTL): token lifetime 721h0m0s is not between 1s and 720h0m0s", ""},
		{[]string{"--token-ttl", "-1h"}, "invalid --token-ttl", ""},
		{nil, "invalid --token-ttl", "USERPORT_TOKEN_TTL=8760h"},
		// Every USERPORT_ twin that does not parse is an error naming it,
		// never a silent default.
		{nil, `invalid USERPORT_WORKERS "eight"`, "USERPORT_WORKERS=eight"},
		{nil, `invalid USERPORT_DOWNLOAD_TTL "5 minutes"`, "USERPORT_DOWNLOAD_TTL=5 minutes"},
		{nil, `invalid USERPORT_TOKEN_TTL "banana"`, "USERPORT_TOKEN_TTL=banana"},
		{nil, `invalid USERPORT_MAX_IMPORT_BYTES "1GB"`, "USERPORT_MAX_IMPORT_BYTES=1GB"},
		{nil, `invalid USERPORT_MAX_EXPORTS_PER_TENANT "2.5"`, "USERPORT_MAX_EXPORTS_PER_TENANT=2.5"},
		{nil, `invalid USERPORT_MAX_IMPORTS_PER_TENANT ""`, "USERPORT_MAX_IMPORTS_PER_TENANT="},
		{nil, `invalid USERPORT_IMPORT_CHUNK "30"`, "USERPORT_IMPORT_CHUNK=30"},
		{nil, `invalid USERPORT_CLEANUP_INTERVAL "often"`, "USERPORT_CLEANUP_INTERVAL=often"},
		{nil, `invalid USERPORT_KEY_REFRESH "soon"`, "USERPORT_KEY_REFRESH=soon"},
		{nil, "USERPORT_KEY_REFRESH must not be negative", "USERPORT_KEY_REFRESH=-1s"},
		// The master key seals secrets in the database only: set for the
		// embedded default, it would suggest a protection that is not there.
		{nil, "USERPORT_MASTER_KEY is set, but the embedded store keeps its keys in the data dir", "USERPORT_MASTER_KEY=oaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaE="},
		{nil, `invalid USERPORT_EXPORT_SPLIT_PARTS "four"`, "USERPORT_EXPORT_SPLIT_PARTS=four"},
		{nil, `invalid USERPORT_EXPORT_SPLIT_MIN_USERS "250k"`, "USERPORT_EXPORT_SPLIT_MIN_USERS=250k"},
		{[]string{"--export-split-parts", "-2"}, "must not be negative", ""},
		{[]string{"--export-split-min-users", "-1"}, "must not be negative", ""},
		{[]string{"--export-split-parts", "65"}, "invalid --export-split-parts 65 (USERPORT_EXPORT_SPLIT_PARTS): at most 64", ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " ")+tt.env, func(t *testing.T) {
			if name, value, ok := strings.Cut(tt.env, "="); ok {
				t.Setenv(name, value)
			}
			if tt.want == "" {
				var cfg Config
				cfg.Jobs, cfg.Tenant, cfg.DataDir = "", "dev", t.TempDir()
				if err := cfg.Validate(); err != nil {
					t.Fatalf("Validate with empty Jobs: %v", err)
				}
				return
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // a serve that got through would stop at once
			args := append([]string{"serve", "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0"}, tt.args...)
			err := run(ctx, args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("serve %v = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}

// TestWorkerArgs checks that the flags serve gives its worker process parse
// back, with the worker's own flags, into the same settings.
func TestWorkerArgs(t *testing.T) {
	want := Config{Addr: "127.0.0.1:9", DataDir: "/srv/up", Tenant: "acme", PublicURL: "https://up.example.com",
		LogLevel: "warn", TokenTTL: 90 * time.Minute, Workers: 5, MaxExportsPerTenant: 3,
		DownloadTTL: 2 * time.Minute, MaxImportBytes: 12345, MaxImportsPerTenant: 4,
		ExportSplitParts: 3, ExportSplitMinUsers: 5000}
	var got Config
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	got.serverFlags(fs)
	if err := fs.Parse(want.workerArgs()); err != nil {
		t.Fatalf("parse %q: %v", want.workerArgs(), err)
	}
	got.AdminClientID, got.AdminClientSecret = "", "" // from the environment, not flags
	got.ImportChunk, got.ImportTimeout, got.RescueAfter, got.StaleAfter, got.CleanupInterval = 0, 0, 0, 0, 0
	if !reflect.DeepEqual(got, want) {
		t.Errorf("worker settings\n%+v\nwant\n%+v", got, want)
	}
}

// TestEnvTwins: a USERPORT_ variable sets its flag's value, and the flag on
// the command line wins over it.
func TestEnvTwins(t *testing.T) {
	t.Setenv("USERPORT_WORKERS", "3")
	t.Setenv("USERPORT_DOWNLOAD_TTL", "5m")
	t.Setenv("USERPORT_IMPORT_CHUNK", "10s")
	var cfg Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.serverFlags(fs)
	if err := parseFlags(fs, []string{"--data-dir", t.TempDir(), "--workers", "4"}, io.Discard, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Workers != 4 || cfg.DownloadTTL != 5*time.Minute || cfg.ImportChunk != 10*time.Second {
		t.Errorf("workers %d, download TTL %v, import chunk %v; want 4 (the flag), 5m and 10s (the environment)",
			cfg.Workers, cfg.DownloadTTL, cfg.ImportChunk)
	}
}

// TestExportSplitDefault: exports are split in scale mode (PostgreSQL) and
// not in embedded mode, unless --export-split-parts says otherwise.
func TestExportSplitDefault(t *testing.T) {
	for _, tt := range []struct {
		databaseURL string
		parts, want int
	}{
		{"", 0, 1},
		{"postgres://db.example.com/userport", 0, DefaultScaleSplitParts},
		{"postgres://db.example.com/userport", 1, 1},
		{"", 3, 3},
	} {
		cfg := Config{Tenant: "dev", DataDir: t.TempDir(), DatabaseURL: tt.databaseURL, ExportSplitParts: tt.parts}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		if cfg.ExportSplitParts != tt.want {
			t.Errorf("database %q, --export-split-parts %d: %d parts, want %d", tt.databaseURL, tt.parts, cfg.ExportSplitParts, tt.want)
		}
	}
}
