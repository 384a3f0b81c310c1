package main

// The faults that need the process: a shutdown while an export runs. The
// faults a running server meets (a failing blob store, writes racing an
// export) are tested in-process in httpapi/faults_test.go.

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
)

// TestExportHandedBackOnShutdown stops the server (Main.Close, what SIGTERM
// runs) while an export runs and a request is in flight: the request is
// answered, the export goes back to pending, and a server started again on
// the same data dir completes it with every user.
func TestExportHandedBackOnShutdown(t *testing.T) {
	const users = 10_000
	cfg := exFromTemplate(t, exSeedTemplate(t, users))
	// The export's writes wait for their job's cancellation: it is still
	// running when the server stops, and outlasts Close's wait.
	b := startMain(t, cfg, newTestClock(), func(m *Main) {
		m.jobsWait = time.Second
		m.wrapBlobs = stalledBlobs
	})
	j := b.exCreate(`{"format":"json"}`)
	exPoll(t, 10*time.Second, "the export to start", func() bool {
		return b.exJob(j.ID).Status != "pending"
	})
	finish := b.inFlightCreate("late@example.com")
	closed := make(chan error, 1)
	go func() { closed <- b.m.Close() }()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", b.logs.String())
		}
	})
	if status, body := finish(); status != http.StatusCreated {
		t.Fatalf("in-flight request during shutdown: %d %s", status, body)
	}
	// The export outlasts Close's wait, which says so, and is cancelled.
	if err := <-closed; err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close: %v", err)
	}

	b = start(t, cfg, newTestClock())
	stored, err := b.exStoredJob(j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != userport.JobPending && stored.Status != userport.JobProcessing {
		// processing: the new engine took it again already.
		t.Fatalf("after shutdown the export is %s (%s), want handed back", stored.Status, stored.StatusDetails)
	}
	done := b.exCompleted(j.ID)
	ids := testutil.NDJSONIDs(t, b.exDownload(done))
	if len(ids) != users+1 {
		t.Errorf("the export completed after the restart has %d users, want %d", len(ids), users+1)
	}
}

// stalledBlobs is the real blob store whose writers write nothing until
// their job is cancelled.
func stalledBlobs(real userport.BlobStore) userport.BlobStore {
	return &testutil.FaultyBlobs{BlobStore: real, Write: func(ctx context.Context, _ []byte) error {
		<-ctx.Done()
		return ctx.Err()
	}}
}
