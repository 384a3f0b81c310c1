package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/userport/userport/seed"
)

// TestCLIImportNewIDs: an export imports into another connection of its
// tenant with --new-ids, where without it every user is DUPLICATED_USER;
// new_ids is a boolean form field (issue 25, case 11).
func TestCLIImportNewIDs(t *testing.T) {
	t.Parallel()
	b := exStart(t, nil)
	conn := b.connection(upa)
	b.putUsers(conn, 0, 4)
	if _, err := seed.EnsureConnection(b.ctx(), b.m.store, "dev", "Copy", b.clock); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "export.ndjson.gz")
	if err := os.WriteFile(file, b.imExport(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := cliRun(b.cliArgs("import", file, "--connection", "Copy")...)
	if err == nil || !strings.Contains(out, "(0 inserted, 0 updated, 4 failed)") || strings.Count(out, "DUPLICATED_USER") != 4 {
		t.Fatalf("import without --new-ids: %v\n%s", err, out)
	}
	out, _, err = cliRun(b.cliArgs("import", file, "--connection", "Copy", "--new-ids")...)
	if err != nil || !strings.Contains(out, "(4 inserted, 0 updated, 0 failed) into Copy") {
		t.Fatalf("import --new-ids: %v\n%s", err, out)
	}
	if n := b.userCount(); n != 8 {
		t.Errorf("%d users stored, want the 4 and their 4 copies", n)
	}
	b.imUpload([]imPart{imFile([]byte(`{"email":"a@example.com"}`)), imField("connection_id", conn.ID), imField("new_ids", "yes")}).
		wantError(t, 400, "invalid_body", "Payload validation error: 'Expected type boolean but found type string' on property new_ids.")
}
