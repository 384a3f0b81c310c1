package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/seed"
)

// imRoundTripUsers is how many users the round trip moves.
const imRoundTripUsers = 100_000

// imSeed writes n seeded users into the bundle's default connection.
func imSeed(t *testing.T, b *bundle, n int) {
	t.Helper()
	conn := b.connection(upa)
	if err := seedUsers(b.ctx(), b.m.store, seed.New(1, "dev", conn, seedStart), n, newBar(io.Discard, n, "")); err != nil {
		t.Fatal(err)
	}
}

// imCountErrors streams GET /jobs/{id}/errors and counts each code.
func (b *bundle) imCountErrors(id string) map[string]int {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+"/api/v2/jobs/"+id+"/errors", nil)
	req.Header.Set("Authorization", "Bearer "+b.token())
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	counts := map[string]int{}
	if resp.StatusCode == http.StatusNoContent {
		return counts
	}
	dec := json.NewDecoder(resp.Body)
	if _, err := dec.Token(); err != nil {
		b.t.Fatalf("errors: %d %v", resp.StatusCode, err)
	}
	for dec.More() {
		var e imError
		if err := dec.Decode(&e); err != nil {
			b.t.Fatal(err)
		}
		for _, is := range e.Errors {
			counts[is.Code]++
		}
	}
	return counts
}

// TestImportRoundTrip is the migration of issue 5: seed one server, export
// it as JSON, import the downloaded file unchanged into a fresh server (same
// connection name), export again: the users are equal in everything but
// updated_at. Then the same with a JSON array; then the file again without
// upsert (every user an error, nothing changed) and with upsert (every user
// updated).
func TestImportRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 100,000 users")
	}
	src := setup(t)
	imSeed(t, src, imRoundTripUsers)
	exported := src.imExport()
	all := userport.ImportSummary{Inserted: imRoundTripUsers, Total: imRoundTripUsers}

	dst := setup(t)
	conn := dst.connection(upa).ID
	start := time.Now()
	j := dst.imRun(exported, conn)
	t.Logf("imported %d users from the .json.gz in %v", imRoundTripUsers, time.Since(start))
	if *j.Summary != all {
		t.Fatalf("summary = %s, want %+v", imSummary(j.Summary), all)
	}
	again := dst.imExport()
	imSameUsers(t, exported, again, "updated_at")

	t.Run("JSON array", func(t *testing.T) {
		third := setup(t)
		j := third.imRun(imArray(t, imGunzip(t, exported)), third.connection(upa).ID)
		if *j.Summary != all {
			t.Fatalf("summary = %s, want %+v", imSummary(j.Summary), all)
		}
		imSameUsers(t, exported, third.imExport(), "updated_at")
	})

	dst.t = t
	t.Run("again without upsert", func(t *testing.T) {
		dst.t = t
		j := dst.imRun(exported, conn)
		want := userport.ImportSummary{Failed: imRoundTripUsers, Total: imRoundTripUsers}
		if *j.Summary != want {
			t.Fatalf("summary = %s, want %+v", imSummary(j.Summary), want)
		}
		// The job keeps the first userport.MaxImportErrors of its errors.
		if got := dst.imCountErrors(j.ID); len(got) != 1 || got[userport.ImportDuplicatedUser] != min(imRoundTripUsers, userport.MaxImportErrors) {
			t.Errorf("error codes = %v, want DUPLICATED_USER for the first %d users", got, userport.MaxImportErrors)
		}
		if now := dst.imExport(); !bytes.Equal(imGunzip(t, now), imGunzip(t, again)) {
			imSameUsers(t, again, now) // says what changed
			t.Errorf("the export changed")
		}
	})
	t.Run("again with upsert", func(t *testing.T) {
		dst.t = t
		dst.clock.Advance(time.Minute)
		j := dst.imRun(exported, conn, imField("upsert", "true"))
		want := userport.ImportSummary{Updated: imRoundTripUsers, Total: imRoundTripUsers}
		if *j.Summary != want {
			t.Fatalf("summary = %s, want %+v", imSummary(j.Summary), want)
		}
		now := dst.imExport()
		imSameUsers(t, exported, now, "updated_at")
		imCompare(t, again, now, func(before, after map[string]any) {
			if after["updated_at"] == before["updated_at"] {
				t.Fatalf("user %v was not updated (updated_at %v)", after["user_id"], after["updated_at"])
			}
		})
	})
}
