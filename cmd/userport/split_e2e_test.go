//go:build unix

package main

// A split export, cut into user_id ranges that several workers write at once
// and joined, equals the unsplit export of the same users: in embedded mode
// (SQLite, joined on local disk) and in scale mode through the built binary
// (PostgreSQL, S3, serve --jobs none and two workers, joined in S3).

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// splitBodies are the exports of the split tests: each is created as is
// (split) and with a limit above the users, which is never split: the
// reference its file must equal.
var splitBodies = []map[string]any{
	{"format": "json"},
	{"format": "csv"},
	{"format": "csv", "fields": []map[string]string{{"name": "user_id"}, {"name": "email", "export_as": "Email"}, {"name": "created_at"}}},
}

// TestSplitExportEmbedded splits exports in embedded mode: three workers of
// one process write three ranges, joined on local disk; each file,
// decompressed, equals the unsplit export's, byte for byte.
func TestSplitExportEmbedded(t *testing.T) {
	t.Parallel()
	const users = 3000
	b := exStart(t, func(c *Config) {
		c.ExportSplitParts, c.ExportSplitMinUsers, c.Workers, c.MaxExportsPerTenant = 3, 500, 3, 6
	})
	b.putUsers(b.connection("Username-Password-Authentication"), 0, users)
	for _, body := range splitBodies {
		t.Run(fmt.Sprint(body), func(t *testing.T) {
			split := b.admin(http.MethodPost, "/jobs/users-exports", body)
			split.wantStatus(t, http.StatusOK)
			whole := cloneWith(body, "limit", users+1)
			ref := b.admin(http.MethodPost, "/jobs/users-exports", whole)
			ref.wantStatus(t, http.StatusOK)
			s, w := b.exCompleted(exDecodeJob(t, split.body).ID), b.exCompleted(exDecodeJob(t, ref.body).ID)
			got, want := b.exDownload(s), b.exDownload(w)
			if !bytes.Equal(got, want) {
				t.Errorf("the split export's file (%d bytes) differs from the unsplit one's (%d bytes)", len(got), len(want))
			}
			if parts, err := b.m.store.ListExportParts(b.ctx(), b.m.Config.Tenant, s.ID); err != nil || len(parts) != 3 {
				t.Errorf("the split export has %d parts (%v), want 3", len(parts), err)
			}
			if parts, err := b.m.store.ListExportParts(b.ctx(), b.m.Config.Tenant, w.ID); err != nil || len(parts) != 0 {
				t.Errorf("the limited export has %d parts (%v), want none", len(parts), err)
			}
		})
	}
}

// cloneWith returns a copy of m with key set to v.
func cloneWith(m map[string]any, key string, v any) map[string]any {
	c := map[string]any{key: v}
	for k, x := range m {
		c[k] = x
	}
	return c
}

// TestScaleModeSplitExport runs split exports in scale mode through the
// built binary: serve --jobs none and two workers on one PostgreSQL schema
// and one S3 bucket. Each export is cut into four ranges that the workers'
// River jobs write at once and that are joined in S3; its file, decompressed,
// equals byte for byte the unsplit export of the same users (CSV with its one
// header, NDJSON).
func TestScaleModeSplitExport(t *testing.T) {
	e := newScaleEnv(t)
	const users = 20_000
	t.Setenv("USERPORT_EXPORT_SPLIT_PARTS", "4")
	t.Setenv("USERPORT_EXPORT_SPLIT_MIN_USERS", "2000")
	t.Setenv("USERPORT_MAX_EXPORTS_PER_TENANT", "6")
	bin := buildUserport(t)
	args := append([]string{"seed", "--data-dir", t.TempDir(), "--users", strconv.Itoa(users), "--quiet"}, e.flags()...)
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	dir, addr := t.TempDir(), imFreeAddr(t)
	installTestKey(t, dir)
	imStartServe(t, bin, dir, addr, append([]string{"--jobs", "none"}, e.flags()...)...)
	workers := []*imProcess{scaleStartWorker(t, bin, e), scaleStartWorker(t, bin, e)}
	t.Cleanup(func() {
		if t.Failed() {
			for i, w := range workers {
				t.Logf("worker %d:\n%s", i, w.logs.String())
			}
		}
	})
	c := imClient(t, addr)

	var created []imJob
	for _, body := range splitBodies {
		for _, b := range []map[string]any{body, cloneWith(body, "limit", users+1)} {
			r := c.admin(http.MethodPost, "/jobs/users-exports", b)
			r.wantStatus(t, http.StatusOK)
			var j imJob
			r.decode(t, &j)
			created = append(created, j)
		}
	}
	start := time.Now()
	done := scaleWaitAll(t, c, created, 2*time.Minute)
	t.Logf("%d exports of %d users completed in %v", len(done), users, time.Since(start))
	conn := e.connect(t)
	for i := 0; i < len(done); i += 2 {
		split, whole := done[i], done[i+1]
		got, want := scaleDownload(t, c, split, e.s3Endpoint), scaleDownload(t, c, whole, e.s3Endpoint)
		if !bytes.Equal(got, want) || len(want) == 0 {
			t.Errorf("%v: the split export's file (%d bytes) differs from the unsplit one's (%d bytes)", splitBodies[i/2], len(got), len(want))
		}
		for _, tt := range []struct {
			id          string
			parts, jobs int
		}{{split.ID, 4, 3}, {whole.ID, 0, 0}} {
			var parts, helpers int
			ctx := context.Background()
			if err := conn.QueryRow(ctx, `SELECT count(*) FROM export_parts WHERE job_id = $1 AND status = 'completed'`, tt.id).Scan(&parts); err != nil {
				t.Fatal(err)
			}
			if err := conn.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'userport_export_part' AND args->>'job_id' = $1`, tt.id).Scan(&helpers); err != nil && err != pgx.ErrNoRows {
				t.Fatal(err)
			}
			if parts != tt.parts || helpers != tt.jobs {
				t.Errorf("export %s: %d completed parts and %d helper jobs, want %d and %d", tt.id, parts, helpers, tt.parts, tt.jobs)
			}
		}
	}
}
