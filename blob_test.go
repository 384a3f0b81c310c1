package userport_test

import (
	"strings"
	"testing"

	"github.com/userport/userport"
)

// TestJobDir: every blob key of a job lies under its JobDir, which the
// cleanup deletes, and no other job's.
func TestJobDir(t *testing.T) {
	const id, other = "job_AAAAAAAAAAAAAAAA", "job_AAAAAAAAAAAAAAA" // other is a prefix of id
	tests := []struct {
		typ userport.JobType
		key string
	}{
		{userport.JobUsersExport, userport.ExportFileKey(id, "r1", userport.ExportFileName("dev", userport.FormatCSV))},
		{userport.JobUsersExport, userport.ExportPartKey(id, 3, "r1")},
		{userport.JobUsersImport, userport.ImportUploadKey(id)},
	}
	for _, tt := range tests {
		if dir := userport.JobDir(tt.typ, id); !strings.HasPrefix(tt.key, dir+"/") {
			t.Errorf("key %q is not under JobDir %q", tt.key, dir)
		}
		if dir := userport.JobDir(tt.typ, other); strings.HasPrefix(tt.key, dir+"/") {
			t.Errorf("key %q is under another job's JobDir %q", tt.key, dir)
		}
	}
	if userport.JobDir(userport.JobUsersExport, id) == userport.JobDir(userport.JobUsersImport, id) {
		t.Error("an export and an import share a directory")
	}
}
