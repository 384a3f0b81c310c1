package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
)

// TestRefusesBadMetricsAddr: serve and the worker check their flags
// (internal/config tests each bad value) before they open anything.
func TestRefusesBadMetricsAddr(t *testing.T) {
	for _, cmd := range []string{"serve", "worker"} {
		for _, addr := range []string{"nonsense", "127.0.0.1:99999"} {
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // a command that got through would stop at once
			err := run(ctx, []string{cmd, "--data-dir", t.TempDir(), "--metrics-addr", addr}, io.Discard, io.Discard)
			if want := fmt.Sprintf("invalid --metrics-addr (USERPORT_METRICS_ADDR) %q", addr); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s --metrics-addr %s = %v, want an error containing %q", cmd, addr, err, want)
			}
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
