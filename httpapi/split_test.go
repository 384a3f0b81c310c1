package httpapi_test

import (
	"bytes"
	"fmt"
	"maps"
	"net/http"
	"testing"

	"github.com/userport/userport/jobs"
)

// TestSplitExport splits exports in this process: three workers write three
// ranges, joined on local disk; each file, decompressed, equals byte for
// byte that of the same export with a limit above the users, which is never
// split (moved from cmd/userport; its scale twin runs the built binary).
func TestSplitExport(t *testing.T) {
	t.Parallel()
	const users = 3000
	e := setup(t)
	e.work(func(cfg *jobs.Config, _ *jobs.Deps) {
		cfg.SplitParts, cfg.SplitMinUsers, cfg.Workers, cfg.MaxExportsPerTenant = 3, 500, 3, 6
	})
	e.putUsers(e.connection("Username-Password-Authentication"), 0, users)
	for _, body := range []map[string]any{
		{"format": "json"},
		{"format": "csv"},
		{"format": "csv", "fields": []map[string]string{{"name": "user_id"}, {"name": "email", "export_as": "Email"}, {"name": "created_at"}}},
	} {
		t.Run(fmt.Sprint(body), func(t *testing.T) {
			split := e.admin(http.MethodPost, "/jobs/users-exports", body)
			split.wantStatus(t, http.StatusOK)
			whole := maps.Clone(body)
			whole["limit"] = users + 1
			ref := e.admin(http.MethodPost, "/jobs/users-exports", whole)
			ref.wantStatus(t, http.StatusOK)
			s, w := e.completed(decodeJob(t, split.body).ID), e.completed(decodeJob(t, ref.body).ID)
			got, want := e.exDownload(s), e.exDownload(w)
			if !bytes.Equal(got, want) {
				t.Errorf("the split export's file (%d bytes) differs from the unsplit one's (%d bytes)", len(got), len(want))
			}
			if parts, err := e.Store.ListExportParts(e.ctx(), tenant, s.ID); err != nil || len(parts) != 3 {
				t.Errorf("the split export has %d parts (%v), want 3", len(parts), err)
			}
			if parts, err := e.Store.ListExportParts(e.ctx(), tenant, w.ID); err != nil || len(parts) != 0 {
				t.Errorf("the limited export has %d parts (%v), want none", len(parts), err)
			}
			// The joined file's sha256 is read back from it.
			if m := e.fileManifest(s); m.Rows != users {
				t.Errorf("the split export's manifest: %d rows, want %d", m.Rows, users)
			}
		})
	}
	// A filtered export runs in one piece.
	r := e.admin(http.MethodPost, "/jobs/users-exports", map[string]any{"format": "json", "q": "email:*"})
	r.wantStatus(t, http.StatusOK)
	q := e.completed(decodeJob(t, r.body).ID)
	if parts, err := e.Store.ListExportParts(e.ctx(), tenant, q.ID); err != nil || len(parts) != 0 {
		t.Errorf("the filtered export has %d parts (%v), want none", len(parts), err)
	}
	e.fileManifest(q)
}
