package main

import (
	"context"
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
	}{
		{[]string{"--jobs", "sometimes"}, `invalid --jobs "sometimes"`},
		{[]string{"--jobs", ""}, "" /* empty is inline, as for a Config built in code */},
		{[]string{"--workers", "-1"}, "must not be negative"},
		{[]string{"--tenant", "Not A Tenant"}, "invalid tenant"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
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
