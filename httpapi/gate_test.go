package httpapi_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
)

// gatedBlobs is a blob store that, once armed, holds each new writer at its
// first Write until the test releases the gate: a job that writes a file is
// then known to be running, however fast the machine is.
type gatedBlobs struct {
	userport.BlobStore
	armed   atomic.Bool
	held    chan string // the key of each writer that reached the gate
	open    chan struct{}
	release func() // opens the gate for good; safe to call more than once
}

// newGatedBlobs returns a gate, not armed, over no store yet: set BlobStore.
func newGatedBlobs() *gatedBlobs {
	g := &gatedBlobs{held: make(chan string, 16), open: make(chan struct{})}
	g.release = sync.OnceFunc(func() { close(g.open) })
	return g
}

// arm makes the writers created from now on wait at the gate.
func (g *gatedBlobs) arm() { g.armed.Store(true) }

// reached waits until a writer of a key under dir/ is held at the gate.
func (g *gatedBlobs) reached(t *testing.T, dir string) {
	t.Helper()
	var keys []string
	testutil.WaitFor(t, 30*time.Second, "a writer under "+dir+"/ at the gate", func() (string, bool) {
		select {
		case key := <-g.held:
			keys = append(keys, key)
			return fmt.Sprint(keys), strings.HasPrefix(key, dir+"/")
		default:
			return fmt.Sprint(keys), false
		}
	})
}

// Create creates the writer, held at the gate when it is armed.
func (g *gatedBlobs) Create(ctx context.Context, key string) (userport.BlobWriter, error) {
	w, err := g.BlobStore.Create(ctx, key)
	if err != nil || !g.armed.Load() {
		return w, err
	}
	return &gatedWriter{BlobWriter: w, gate: g, key: key}, nil
}

// gatedWriter waits at its gate before its first Write.
type gatedWriter struct {
	userport.BlobWriter
	gate    *gatedBlobs
	key     string
	entered sync.Once
}

// Write writes p once the gate is open.
func (w *gatedWriter) Write(p []byte) (int, error) {
	w.entered.Do(func() {
		w.gate.held <- w.key
		<-w.gate.open
	})
	return w.BlobWriter.Write(p)
}
