package httpapi_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
)

// imRoundTripUsers is how many users the round trip moves.
const imRoundTripUsers = 100_000

// imCountErrors streams GET /jobs/{id}/errors and counts each code.
func (b *env) imCountErrors(id string) map[string]int {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.base+"/api/v2/jobs/"+id+"/errors", nil)
	must(b.t, err)
	req.Header.Set("Authorization", "Bearer "+b.adminToken())
	resp, err := b.client.Do(req)
	must(b.t, err)
	defer resp.Body.Close()
	return testutil.CountImportCodes(b.t, resp.Body)
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
	src.work(nil)
	src.seed(imRoundTripUsers)
	exported := src.imExport()
	all := userport.ImportSummary{Inserted: imRoundTripUsers, Total: imRoundTripUsers}

	dst := setup(t)
	dst.work(nil)
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
		third.work(nil)
		j := third.imRun(imArray(t, testutil.Gunzip(t, exported)), third.connection(upa).ID)
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
		if now := dst.imExport(); !bytes.Equal(testutil.Gunzip(t, now), testutil.Gunzip(t, again)) {
			imSameUsers(t, again, now) // says what changed
			t.Errorf("the export changed")
		}
	})
	t.Run("again with upsert", func(t *testing.T) {
		dst.t = t
		dst.Clock.Advance(time.Minute)
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
