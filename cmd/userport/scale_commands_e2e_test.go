//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/userport/userport/internal/bench"
)

// TestScaleModeCommands runs the tools against PostgreSQL and S3 with the
// same settings as serve: seed, the store-direct import, token and bench.
func TestScaleModeCommands(t *testing.T) {
	e := newScaleEnv(t)
	ctx := context.Background()
	dir := t.TempDir()
	installTestKey(t, dir)
	cmd := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		args = append(append(args, "--data-dir", dir), e.flags()...)
		if err := run(ctx, args, &out, &errb); err != nil {
			t.Fatalf("userport %s: %v\n%s", strings.Join(args, " "), err, errb.String())
		}
		return out.String()
	}
	cmd("seed", "--users", "500", "--quiet")
	e.wantVacuumed(t, 1) // a fresh bulk load: the planner's statistics and visibility map made
	file := filepath.Join(t.TempDir(), "users.ndjson")
	exMust(t, os.WriteFile(file, imNDJSON(`{"email":"a@example.com","user_id":"imported-a"}`, `{"email":"b@example.com"}`), 0o600))
	if out := cmd("load", file, "--connection", "Migrated"); !strings.Contains(out, "(2 inserted, 0 updated, 0 failed)") {
		t.Errorf("load: %q", out)
	}
	e.wantVacuumed(t, 2)
	ids := e.userIDs(t)
	if len(ids) != 502 || !ids["auth0|imported-a"] {
		t.Errorf("%d users in PostgreSQL after seed and import (auth0|imported-a there: %v), want 502", len(ids), ids["auth0|imported-a"])
	}
	if tok := strings.TrimSpace(cmd("token", "--client-id", "some-client", "--scopes", "read:users")); strings.Count(tok, ".") != 2 {
		t.Errorf("token: %q", tok)
	}
	out := cmd("bench", "--users", "0", "--format", "csv", "--json", "--jobs", "inline", "--addr", "127.0.0.1:0")
	var r bench.Result
	if err := json.NewDecoder(strings.NewReader(out)).Decode(&r); err != nil && err != io.EOF {
		t.Fatalf("bench output %q: %v", out, err)
	}
	if r.Users != 502 || r.OutputBytes <= 0 || r.RatioToLimit <= 0 {
		t.Errorf("bench on PostgreSQL and S3: %+v", r)
	}
}

// wantVacuumed checks that the users were vacuumed and analyzed n times.
func (e *scaleEnv) wantVacuumed(t *testing.T, n int64) {
	t.Helper()
	vacuumed, analyzed, err := e.store(t).UsersMaintenance(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if vacuumed != n || analyzed != n {
		t.Errorf("users vacuumed %d and analyzed %d times, want %d", vacuumed, analyzed, n)
	}
}
