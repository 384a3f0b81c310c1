//go:build unix

package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/seed"
)

// imCrashUsers is the size of the import killed in the middle: enough for
// several batches (at most importer.DefaultBatchSize, 10,000, each) to be
// committed before the kill and skipped by the restart, and more after it.
const imCrashUsers = 50_000

// buildUserport builds the binary into a temporary directory of t.
func buildUserport(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "userport")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// imProcess is `userport serve` running as a child process, in a process
// group of its own with the job worker process it starts.
type imProcess struct {
	cmd  *exec.Cmd
	logs *syncBuffer
}

// imStartServe starts the binary's serve command with args on addr over dir,
// with the short River timings of the import knobs and a short heartbeat
// timeout of exports, and waits until it answers.
func imStartServe(t *testing.T, bin, dir, addr string, args ...string) *imProcess {
	t.Helper()
	p := imStart(t, bin, dir, addr, append([]string{"serve"}, args...)...)
	testutil.WaitFor(t, 30*time.Second, "serve to start", func() (string, bool) {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return fmt.Sprintf("%v\n%s", err, p.logs.String()), false
		}
		resp.Body.Close()
		return fmt.Sprintf("status %d\n%s", resp.StatusCode, p.logs.String()), resp.StatusCode == http.StatusOK
	})
	return p
}

// imStart starts the binary with args (a command and its flags) over dir,
// with the environment imStartServe describes, in a process group of its
// own, killed when t ends.
func imStart(t *testing.T, bin, dir, addr string, args ...string) *imProcess {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "USERPORT_DATA_DIR="+dir, "USERPORT_ADDR="+addr,
		"USERPORT_ADMIN_CLIENT_ID="+adminID, "USERPORT_ADMIN_CLIENT_SECRET="+adminSecret,
		"USERPORT_IMPORT_CHUNK=1s", "USERPORT_IMPORT_TIMEOUT=6s", "USERPORT_RESCUE_AFTER=6s", "USERPORT_LOG_LEVEL=info",
		"USERPORT_EXPORT_STALE_AFTER=3s", "USERPORT_CLEANUP_INTERVAL=500ms")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &imProcess{cmd: cmd, logs: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.kill() })
	return p
}

// kill sends SIGKILL (kill -9) to serve and its job worker process, as a
// crash of the machine would, and waits for serve to die.
func (p *imProcess) kill() {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	_ = p.cmd.Wait()
}

// imFreeAddr returns a loopback address with a free port.
func imFreeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// imClient is a bundle that talks to a server in another process.
func imClient(t *testing.T, addr string) *bundle {
	base := "http://" + addr
	return &bundle{t: t, m: &Main{Config: Config{PublicURL: base, Tenant: "dev"}}, base: base,
		id: adminID, secret: adminSecret, client: &http.Client{Timeout: 60 * time.Second}}
}

// imSeedFile returns n seeded users as an export writes them, and their ids.
func imSeedFile(t *testing.T, n int) ([]byte, map[string]bool) {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	conn := &userport.Connection{ID: "con_SSSSSSSSSSSSSSSS", Name: upa}
	g := seed.New(7, "dev", conn, seed.Start)
	ids := make(map[string]bool, n)
	for range n {
		u := g.Next()
		ids[u.UserID] = true
		zw.Write(u.Doc)
		zw.Write([]byte{'\n'})
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), ids
}

// imStall is how long an import's status and percentage may stay the same
// before imWaitMoving gives up: longer than the restarted server takes to
// resume it (River's rescuer runs every 30 s and takes an execution older
// than USERPORT_RESCUE_AFTER, 6 s; leadership first) and than 1% of the
// import (500 users) takes on a loaded machine, where the niced worker
// process may get little CPU.
const imStall = 3 * time.Minute

// imWaitMoving polls job id until done says so, and fails when its status
// and percentage have not changed for imStall: the wait follows the
// import's own pace, however loaded the machine, and still fails on an
// import that no longer moves (one the restart never resumes).
// p is the server whose logs a failure shows.
func (b *bundle) imWaitMoving(p *imProcess, id, what string, done func(*exJob) bool) *exJob {
	b.t.Helper()
	var j *exJob
	last, since := "", time.Now()
	testutil.WaitFor(b.t, time.Hour, what, func() (string, bool) {
		j = b.exJob(id)
		seen := j.Status + " at " + j.PercentageDone.String() + "%"
		if done(j) {
			return seen, true
		}
		if seen != last {
			last, since = seen, time.Now()
		} else if time.Since(since) > imStall {
			b.t.Fatalf("waiting for %s: job %s still %s after %v\n%s", what, id, seen, imStall, p.logs.String())
		}
		return seen, false
	})
	return j
}

// TestImportSurvivesKill kills `userport serve` with SIGKILL in the middle of
// a large import, starts it again, and checks that the import completes with
// every user exactly once: River rescues the import after its short timeout
// and the worker resumes from the committed cursor.
func TestImportSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and imports 50,000 users")
	}
	bin := buildUserport(t)
	dir := t.TempDir()
	installTestKey(t, dir)
	addr := imFreeAddr(t)
	file, ids := imSeedFile(t, imCrashUsers)

	p := imStartServe(t, bin, dir, addr)
	c := imClient(t, addr)
	var list []struct{ ID, Name string }
	c.admin(http.MethodGet, "/connections", nil).decode(t, &list)
	start := time.Now()
	job := c.imImport(file, list[0].ID)
	seen := c.imWaitMoving(p, job.ID, "the import to pass 25%", func(j *exJob) bool {
		if j.Status == "completed" {
			t.Fatalf("the import is %s before it could be killed", j.Status)
		}
		// well into the file: the restart skips many records
		pct, err := j.PercentageDone.Int64()
		return j.Status == "processing" && err == nil && pct >= 25
	})
	p.kill()
	t.Logf("killed at %s%% after %v", seen.PercentageDone, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	p = imStartServe(t, bin, dir, addr)
	var resumed time.Duration // until the percentage first moves: River's rescue
	done := c.imWaitMoving(p, job.ID, "the import to end after the restart", func(j *exJob) bool {
		if resumed == 0 && j.PercentageDone != seen.PercentageDone {
			resumed = time.Since(start)
		}
		return j.Status != "pending" && j.Status != "processing"
	})
	t.Logf("resumed %v and %s %v after the restart", resumed.Round(time.Millisecond), done.Status,
		time.Since(start).Round(time.Millisecond))
	want := userport.ImportSummary{Inserted: imCrashUsers, Total: imCrashUsers}
	if done.Status != "completed" || done.Summary == nil || *done.Summary != want {
		t.Fatalf("job after the restart: %s %q, summary %s; want %+v\n%s", done.Status, done.StatusDetails,
			imSummary(done.Summary), want, p.logs.String())
	}
	lines, exported := testutil.NewUserLines(t, c.imExport()), map[string]bool{}
	for u := lines.Next(); u != nil; u = lines.Next() {
		id, _ := u["user_id"].(string)
		if !ids[id] || exported[id] {
			t.Fatalf("user %s is unknown or exported twice", id)
		}
		exported[id] = true
	}
	if len(exported) != len(ids) {
		t.Errorf("%d users exported, want %d", len(exported), len(ids))
	}
	if errs := c.imCountErrors(job.ID); len(errs) != 0 {
		t.Errorf("per-user errors after the restart: %v", errs)
	}
	if strings.Contains(p.logs.String(), "panic") {
		t.Errorf("the server panicked:\n%s", p.logs.String())
	}
}
