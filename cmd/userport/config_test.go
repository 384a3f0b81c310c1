package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
)

// TestServeRefusesBadFlags checks that serve stops at a bad setting with a
// message that names it, before it opens anything.
func TestServeRefusesBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
		env  string // NAME=value of one environment variable
	}{
		{[]string{"--jobs", "sometimes"}, `invalid --jobs (USERPORT_JOBS) "sometimes"`, ""},
		{[]string{"--jobs", ""}, "" /* empty is inline, as for a Config built in code */, ""},
		{[]string{"--workers", "-1"}, "must not be negative", ""},
		{[]string{"--tenant", "Not A Tenant"}, `invalid --tenant (USERPORT_TENANT) "Not A Tenant"`, ""},
		{nil, `invalid --tenant (USERPORT_TENANT) "ACME"`, "USERPORT_TENANT=ACME"},
		{nil, `invalid --log-level (USERPORT_LOG_LEVEL) "loud"`, "USERPORT_LOG_LEVEL=loud"},
		{nil, `invalid --public-url (USERPORT_PUBLIC_URL) "up.example.com"`, "USERPORT_PUBLIC_URL=up.example.com"},
		{nil, `invalid --jobs (USERPORT_JOBS) "child"`, "USERPORT_JOBS=child"},
		{nil, `invalid --database-url (USERPORT_DATABASE_URL): want sqlite://PATH or postgres://..., not "mysql://db"`, "USERPORT_DATABASE_URL=mysql://db"},
		{nil, `invalid --blob-url (USERPORT_BLOB_URL)`, "USERPORT_BLOB_URL=gs://bucket"},
		{nil, `invalid USERPORT_S3_ENDPOINT: invalid endpoint "127.0.0.1:7070"`, "USERPORT_S3_ENDPOINT=127.0.0.1:7070"},
		{nil, `invalid USERPORT_S3_PUBLIC_ENDPOINT: invalid endpoint "s3.example.com"`, "USERPORT_S3_PUBLIC_ENDPOINT=s3.example.com"},
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
		// A listen address that cannot be listened on stops the command
		// before anything opens, naming the setting.
		{[]string{"--metrics-addr", "nonsense"}, `invalid --metrics-addr (USERPORT_METRICS_ADDR) "nonsense": want host:port`, ""},
		{[]string{"--metrics-addr", "127.0.0.1:99999"}, `invalid --metrics-addr (USERPORT_METRICS_ADDR) "127.0.0.1:99999": invalid port "99999"`, ""},
		{[]string{"--metrics-addr", "127.0.0.1:"}, `invalid --metrics-addr (USERPORT_METRICS_ADDR) "127.0.0.1:": no port`, ""},
		{[]string{"--metrics-addr", "127.0.0.1:-1"}, `invalid --metrics-addr (USERPORT_METRICS_ADDR) "127.0.0.1:-1": invalid port`, ""},
		{nil, `invalid --metrics-addr (USERPORT_METRICS_ADDR) "9090": want host:port`, "USERPORT_METRICS_ADDR=9090"},
		{[]string{"--addr", "localhost"}, `invalid --addr (USERPORT_ADDR) "localhost": want host:port`, ""},
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

// TestWorkerRefusesBadMetricsAddr: the worker checks its --metrics-addr as
// serve does, before it opens anything.
func TestWorkerRefusesBadMetricsAddr(t *testing.T) {
	for _, addr := range []string{"nonsense", "127.0.0.1:99999"} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // a worker that got through would stop at once
		err := run(ctx, []string{"worker", "--data-dir", t.TempDir(), "--metrics-addr", addr}, io.Discard, io.Discard)
		if want := fmt.Sprintf("invalid --metrics-addr (USERPORT_METRICS_ADDR) %q", addr); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("worker --metrics-addr %s = %v, want an error containing %q", addr, err, want)
		}
	}
}

// storageCommands are the commands that open the store: each takes the
// same storage settings.
var storageCommands = []string{"serve", "worker", "token", "seed", "load", "bench", "loadtest"}

// TestEveryCommandTakesStorageSettings: every command that opens the store
// takes the same store and blob settings, and refuses the same bad values
// of them, naming the setting, before it opens anything.
func TestEveryCommandTakesStorageSettings(t *testing.T) {
	for _, cmd := range storageCommands {
		t.Run(cmd, func(t *testing.T) {
			var usage strings.Builder
			if err := run(context.Background(), []string{cmd, "-h"}, &usage, io.Discard); err != nil { // help asked for: no error, on stdout
				t.Fatalf("%s -h = %v", cmd, err)
			}
			for _, f := range []string{"--data-dir", "--database-url", "--blob-url", "--tenant", "--log-level"} {
				if !strings.Contains(usage.String(), "  "+f+" ") {
					t.Errorf("%s has no %s flag", cmd, f)
				}
			}
			for _, env := range []struct{ name, value, want string }{
				{"USERPORT_DATABASE_URL", "mysql://db", "invalid --database-url (USERPORT_DATABASE_URL)"},
				{"USERPORT_BLOB_URL", "gs://bucket", "invalid --blob-url (USERPORT_BLOB_URL)"},
				{"USERPORT_S3_ENDPOINT", "127.0.0.1:7070", "invalid USERPORT_S3_ENDPOINT"},
				{"USERPORT_TENANT", "Not A Tenant", "invalid --tenant (USERPORT_TENANT)"},
			} {
				t.Run(env.name, func(t *testing.T) {
					t.Setenv(env.name, env.value)
					args := []string{cmd, "--data-dir", t.TempDir()}
					if cmd == "load" {
						args = append(args, "--file", "users.json")
					}
					ctx, cancel := context.WithCancel(context.Background())
					cancel() // a command that got through would stop at once
					err := run(ctx, args, io.Discard, io.Discard)
					if err == nil || !strings.Contains(err.Error(), env.want) {
						t.Errorf("%s with %s=%s: %v, want an error containing %q", cmd, env.name, env.value, err, env.want)
					}
				})
			}
		})
	}
}
