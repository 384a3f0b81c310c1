package sqlite

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/ncruces/go-sqlite3"
)

// waitSignal tells a long transaction of the import (WriteImportBatches)
// that another writer waits for the database's one writer, in this process
// or in another on the same file (serve --jobs process: the API in one, the
// import in the worker). SQLite queues no writers and says nothing to the
// holder of the lock, so the waiting side says it: the busy handler of every
// writing connection writes the time of each retry to the file <db>-wait
// (8 bytes, Unix nanoseconds), and the holder reads it between two batches.
// In the same process writers wait for the one pooled connection instead:
// the user writes (writeUsers: the API's POST, PATCH and DELETE of users)
// say so before they begin. River's polls and the jobs' progress writes of
// the process do not: they wait for the transaction (at most its hold
// time), and it is not cut every 50 ms by River's fetches.
type waitSignal struct {
	f     *os.File
	last  atomic.Int64 // the last time this process wrote, to write at most once a millisecond
	local atomic.Int64 // the last time a user write of this process began, Unix nanoseconds
}

// waitSuffix names the signal's file beside the database.
const waitSuffix = "-wait"

// openWaitSignal opens (creating, mode 0600) the signal file of the database at path.
func openWaitSignal(path string) (*waitSignal, error) {
	f, err := os.OpenFile(path+waitSuffix, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the writers' signal: %w", err)
	}
	return &waitSignal{f: f}, nil
}

// close closes the file.
func (w *waitSignal) close() error { return w.f.Close() }

// mark says that a writer waits now.
func (w *waitSignal) mark(now time.Time) {
	ns := now.UnixNano()
	if old := w.last.Load(); ns-old < int64(time.Millisecond) || !w.last.CompareAndSwap(old, ns) {
		return
	}
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(ns))
	_, _ = w.f.WriteAt(b[:], 0) // a lost signal only leaves the transaction its time limit
}

// begin says that a user write of this process begins now.
func (w *waitSignal) begin(now time.Time) { w.local.Store(now.UnixNano()) }

// since reports whether a writer waited, or a user write of this process
// began, at or after t.
func (w *waitSignal) since(t time.Time) bool {
	if w.local.Load() >= t.UnixNano() {
		return true
	}
	var b [8]byte
	if n, _ := w.f.ReadAt(b[:], 0); n < len(b) {
		return false
	}
	return int64(binary.LittleEndian.Uint64(b[:])) >= t.UnixNano()
}

// busyRetry is how long a waiting writer sleeps between two tries.
const busyRetry = time.Millisecond

// busyHandler returns the busy handler of one writing connection: it marks
// the signal at each retry and retries, every busyRetry, until timeout has
// passed since the first (what the busy_timeout pragma does, which it
// replaces).
func (w *waitSignal) busyHandler(timeout time.Duration) func(ctx context.Context, count int) bool {
	var first time.Time
	return func(ctx context.Context, count int) bool {
		now := time.Now()
		if count == 0 {
			first = now
		} else if now.Sub(first) >= timeout {
			return false
		}
		w.mark(now)
		t := time.NewTimer(busyRetry)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-ctx.Done():
			return false
		}
	}
}

// initWriter installs the busy handler on a new writing connection.
func (w *waitSignal) initWriter(timeout time.Duration) func(c *sqlite3.Conn) error {
	return func(c *sqlite3.Conn) error { return c.BusyHandler(w.busyHandler(timeout)) }
}
