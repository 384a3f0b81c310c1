package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/userport/userport"
)

// scanned is what one ScanUsers call passed to its callback.
type scanned struct {
	ids  []string
	docs map[string]string
	n    int
}

// scan runs one ScanUsers call, collecting what it passes.
func scan(t *testing.T, s userport.Store, sc userport.UserScan) scanned {
	t.Helper()
	out := scanned{docs: map[string]string{}}
	n, err := s.ScanUsers(t.Context(), sc, func(id string, doc []byte) error {
		out.ids = append(out.ids, id)
		out.docs[id] = string(doc)
		return nil
	})
	if err != nil {
		t.Fatalf("ScanUsers(%+v): %v", sc, err)
	}
	out.n = n
	return out
}

func testScanUsers(t *testing.T, s userport.Store) {
	users := seedUsers(t, s, 25)
	tests := []struct {
		conn  string
		after int // user number to start after; 0 for the start
		limit int
	}{
		{"", 0, 100}, {"", 0, 10}, {"", 10, 10}, {"", 20, 10}, {"", 25, 10}, {"", 24, 1},
		{connID(1), 0, 5}, {connID(1), 9, 5}, {connID(2), 0, 100}, {connID(2), 11, 3}, {connID(3), 0, 10},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d/%d", tt.conn, tt.after, tt.limit), func(t *testing.T) {
			matching, after := users, ""
			if tt.conn != "" {
				matching = ofConnection(users, tt.conn)
			}
			if tt.after > 0 {
				after = userID(tt.after)
			}
			var want []*userport.User
			for _, u := range matching {
				if u.UserID > after && len(want) < tt.limit {
					want = append(want, u)
				}
			}
			got := scan(t, s, userport.UserScan{Tenant: "a", ConnectionID: tt.conn, After: after, Limit: tt.limit})
			wantIDs(t, "ids", got.ids, userIDs(want))
			if got.n != len(want) {
				t.Errorf("ScanUsers returned %d, want %d", got.n, len(want))
			}
			for _, u := range want {
				if got.docs[u.UserID] != string(u.Doc) {
					t.Errorf("doc of %s = %s, want %s", u.UserID, got.docs[u.UserID], u.Doc)
				}
			}
		})
	}
}

func testScanUsersPaging(t *testing.T, s userport.Store) {
	users := seedUsers(t, s, 57)
	for _, conn := range []string{"", connID(1)} {
		want := users
		if conn != "" {
			want = ofConnection(users, conn)
		}
		var all []string
		sc := userport.UserScan{Tenant: "a", ConnectionID: conn, Limit: 7}
		for {
			page := scan(t, s, sc)
			all = append(all, page.ids...)
			if page.n < sc.Limit {
				break
			}
			sc.After = page.ids[len(page.ids)-1] // ids may be kept after the call
		}
		wantIDs(t, "paged ids of "+conn, all, userIDs(want))
	}
}

func testScanUsersCallback(t *testing.T, s userport.Store) {
	seedUsers(t, s, 10)
	stop := errors.New("stop")
	calls := 0
	_, err := s.ScanUsers(t.Context(), userport.UserScan{Tenant: "a", Limit: 10}, func(string, []byte) error {
		calls++
		if calls == 3 {
			return fmt.Errorf("callback: %w", stop)
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Errorf("ScanUsers error = %v, want the callback's", err)
	}
	if calls != 3 {
		t.Errorf("callback called %d times, want 3 (none after its error)", calls)
	}
}

// testScanUsersReentrant checks that the callback may use the store, for
// reads and writes, while a page is being passed: a store that keeps its
// cursor open on its only connection would deadlock, and the timeout turns
// that into a failure.
func testScanUsersReentrant(t *testing.T, s userport.Store) {
	seedUsers(t, s, 10)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	job := newJob("a", 1, userport.JobUsersExport, userport.JobProcessing, baseTime)
	if err := s.CreateJob(ctx, job, noEnqueue); err != nil {
		t.Fatalf("CreateJob: %v", err)
	}
	n, err := s.ScanUsers(ctx, userport.UserScan{Tenant: "a", Limit: 10}, func(id string, _ []byte) error {
		if _, err := s.FindUser(ctx, "a", id); err != nil {
			return fmt.Errorf("FindUser: %w", err)
		}
		if _, err := s.CountUsers(ctx, "a", ""); err != nil {
			return fmt.Errorf("CountUsers: %w", err)
		}
		_, err := s.UpdateJob(ctx, "a", job.ID, func(j *userport.Job) error {
			j.PercentageDone++
			return nil
		})
		return err
	})
	if err != nil || n != 10 {
		t.Fatalf("ScanUsers = %d, %v; want 10, nil", n, err)
	}
	got, err := s.FindJob(ctx, "a", job.ID)
	if err != nil {
		t.Fatalf("FindJob: %v", err)
	}
	field(t, "PercentageDone", got.PercentageDone, 10)
}
