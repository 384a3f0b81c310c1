package httpapi_test

// Incremental exports through the API on the real store (issue 21): a full
// export's cursor, then the changes since it, tombstones included, and the
// refusal of a cursor whose deletions the cleanup purged.

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/jobs"
)

// ndjsonLines splits an NDJSON file into its objects.
func ndjsonLines(t *testing.T, data []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		must(t, json.Unmarshal([]byte(line), &m))
		out = append(out, m)
	}
	return out
}

func TestIncrementalExport(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ids := b.putUsers(b.connection(upa), 0, 10)
	b.work(nil)
	full := b.completed(b.exCreate(`{"format":"json","fields":[{"name":"user_id"},{"name":"email"},{"name":"name"}]}`).ID)
	m := b.fileManifest(full)
	if m.Rows != 10 || m.Cursor == nil {
		t.Fatalf("full export's manifest: %+v", m)
	}
	// field_counts: every user has a user_id and an email, none a name.
	want := []string{"user_id:10", "email:10", "name:0"}
	var got []string
	for _, c := range m.FieldCounts {
		got = append(got, c.Name+":"+strconv.FormatInt(c.Count, 10))
	}
	if !slices.Equal(got, want) {
		t.Errorf("field_counts %v, want %v", got, want)
	}

	// Changes: one update, one delete, one new user.
	b.admin(http.MethodPatch, "/users/"+ids[3], map[string]any{"name": "Changed"}).wantStatus(t, 200)
	b.admin(http.MethodDelete, "/users/"+ids[5], nil).wantStatus(t, 204)
	created := b.admin(http.MethodPost, "/users", map[string]any{"connection": upa, "email": "new@example.com", "password": "A-long-passw0rd!"})
	created.wantStatus(t, 201)
	newID := created.object(t)["user_id"].(string)

	inc := b.completed(b.exCreate(`{"format":"json","fields":[{"name":"user_id"},{"name":"name"}],"changes_since":"` + *m.Cursor + `"}`).ID)
	mi := b.fileManifest(inc)
	lines := ndjsonLines(t, b.exDownload(inc))
	var live, dead []string
	for _, l := range lines {
		if _, ok := l["deleted_at"]; ok {
			dead = append(dead, l["user_id"].(string))
		} else {
			live = append(live, l["user_id"].(string))
		}
	}
	slices.Sort(live)
	wantLive := []string{ids[3], newID}
	slices.Sort(wantLive)
	if !slices.Equal(live, wantLive) || !slices.Equal(dead, []string{ids[5]}) {
		t.Errorf("incremental file: live %v, tombstones %v; want %v and [%s]", live, dead, wantLive, ids[5])
	}
	if mi.Rows != 2 || mi.Tombstones != 1 || mi.ChangesSince == nil || *mi.ChangesSince != *m.Cursor || mi.Cursor == nil {
		t.Errorf("incremental manifest %+v", mi)
	}
	named := 0 // the live users with a name (the new one's is its email)
	for _, l := range lines {
		if _, ok := l["name"]; ok {
			named++
		}
	}
	if len(mi.FieldCounts) != 2 || mi.FieldCounts[0] != (userport.FieldCount{Name: "user_id", Count: 2}) || mi.FieldCounts[1] != (userport.FieldCount{Name: "name", Count: int64(named)}) || named == 0 {
		t.Errorf("incremental field_counts %+v, want user_id 2 and name %d (the live users)", mi.FieldCounts, named)
	}

	// Nothing changed since: the next incremental export is empty.
	next := b.completed(b.exCreate(`{"format":"json","changes_since":"` + *mi.Cursor + `"}`).ID)
	if mn := b.fileManifest(next); mn.Rows != 0 || mn.Tombstones != 0 {
		t.Errorf("an incremental export with no change since: %d rows, %d tombstones", mn.Rows, mn.Tombstones)
	}
}

// TestCursorBelowHorizon: once the cleanup purged the tombstone of a user
// deleted after a cursor, the cursor is refused: its export would miss the
// deletion.
func TestCursorBelowHorizon(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ids := b.putUsers(b.connection(upa), 0, 3)
	b.work(nil)
	m := b.fileManifest(b.completed(b.exCreate(`{"format":"json"}`).ID))
	body := `{"format":"json","changes_since":"` + *m.Cursor + `"}`
	b.admin(http.MethodDelete, "/users/"+ids[1], nil).wantStatus(t, 204)
	b.exPost(body).wantStatus(t, 200) // the tombstone is there
	b.advance(time.Second)
	// A cleanup whose retention is shorter than the server's purges it.
	deps := b.deps()
	must(t, jobs.Cleanup(b.ctx(), deps, userport.Lifetimes{Tombstones: time.Millisecond}))
	b.exPost(body).wantError(t, 400, "invalid_body", "Payload validation error: 'Invalid cursor: deletions since it were purged. "+
		"Take a full export (without changes_since) and continue from its cursor' on property changes_since.")
	// A full export starts the chain again.
	m2 := b.fileManifest(b.completed(b.exCreate(`{"format":"json"}`).ID))
	b.exPost(`{"format":"json","changes_since":"`+*m2.Cursor+`"}`).wantStatus(t, 200)
}
