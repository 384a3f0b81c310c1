//go:build unix

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/userport/userport/internal/supervisor"
	"github.com/userport/userport/internal/testutil"
)

// workerPidPattern finds the job worker's pid in serve's log.
var workerPidPattern = regexp.MustCompile(`msg="job worker process started" pid=(\d+)`)

// binaryWithUsers builds the binary and seeds n users into a new data dir
// with its seed command; it returns the binary, the dir and a free address.
func binaryWithUsers(t *testing.T, n int) (bin, dir, addr string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin, dir, addr = buildUserport(t), t.TempDir(), imFreeAddr(t)
	installTestKey(t, dir)
	if out, err := exec.Command(bin, "seed", "--data-dir", dir, "--users", strconv.Itoa(n), "--quiet").CombinedOutput(); err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	return bin, dir, addr
}

// threadNices returns the nice value of each thread of a Linux process.
func threadNices(t *testing.T, pid int) map[int]int {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	nices := map[int]int{}
	for _, task := range tasks {
		stat, err := os.ReadFile(dir + "/" + task.Name() + "/stat")
		if err != nil {
			continue // the thread ended
		}
		// The fields after the command's closing parenthesis: state is
		// field 3 of stat(5), nice field 19.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		tid, _ := strconv.Atoi(task.Name())
		if nices[tid], err = strconv.Atoi(fields[19-3]); err != nil {
			t.Fatalf("thread %d: %v", tid, err)
		}
	}
	if len(nices) == 0 {
		t.Fatalf("process %d has no threads", pid)
	}
	return nices
}

// countLines returns the number of lines of a gzip'd file.
func countLines(t *testing.T, data []byte) int {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := out.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	return bytes.Count(out.Bytes(), []byte{'\n'})
}

// TestServeWorksJobsInAChildProcess runs the binary's serve as a user would:
// it starts `userport worker` as a child, which works the export, and stops
// it on SIGTERM; a killed serve takes its worker with it.
func TestServeWorksJobsInAChildProcess(t *testing.T) {
	bin, dir, addr := binaryWithUsers(t, 500)
	p := imStartServe(t, bin, dir, addr) // the default: --jobs process
	worker := workerPid(t, p)
	if n := countLines(t, imClient(t, addr).imExport()); n != 500 {
		t.Errorf("the export has %d users, want 500", n)
	}
	// The worker's threads, those the export started included, run at a
	// lower priority than serve's, which answers requests.
	if runtime.GOOS == "linux" {
		for tid, nice := range threadNices(t, worker) {
			if nice != supervisor.WorkerNice {
				t.Errorf("worker thread %d has nice %d, want %d", tid, nice, supervisor.WorkerNice)
			}
		}
		for tid, nice := range threadNices(t, p.cmd.Process.Pid) {
			if nice != 0 {
				t.Errorf("serve thread %d has nice %d, want 0", tid, nice)
			}
		}
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitExit(t, p.cmd, 30*time.Second)
	if err := syscall.Kill(worker, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the job worker process %d outlived serve's shutdown (kill 0: %v)", worker, err)
	}

	// kill -9 of serve alone: the kernel stops its worker (SIGTERM).
	p = imStartServe(t, bin, dir, addr)
	worker = workerPid(t, p)
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
	testutil.Eventually(t, 30*time.Second, fmt.Sprintf("the job worker process %d to end with the killed serve", worker), func() bool {
		return syscall.Kill(worker, 0) != nil
	})
}

// TestServeWithoutJobs runs serve with --jobs none: exports wait, pending,
// until a `userport worker` runs beside it.
func TestServeWithoutJobs(t *testing.T) {
	bin, dir, addr := binaryWithUsers(t, 300)
	p := imStartServe(t, bin, dir, addr, "--jobs", "none")
	// serve logs "userport serving" once it has started all it runs: a job
	// worker process, with --jobs process, is started (and logged) before.
	exPoll(t, 10*time.Second, "serve to log that it serves", func() bool {
		return strings.Contains(p.logs.String(), `msg="userport serving"`)
	})
	if logs := p.logs.String(); workerPidPattern.MatchString(logs) || !strings.Contains(logs, "jobs=none") {
		t.Fatalf("serve --jobs none started a job worker process:\n%s", logs)
	}
	c := imClient(t, addr)
	r := c.admin(http.MethodPost, "/jobs/users-exports", map[string]any{"format": "json"})
	r.wantStatus(t, http.StatusOK)
	var created exJob
	r.decode(t, &created)
	if j := c.exJob(created.ID); j.Status != "pending" {
		t.Fatalf("with no worker the export is %s, want pending", j.Status)
	}

	w := exec.Command(bin, "worker", "--data-dir", dir)
	w.Stdout, w.Stderr = os.Stderr, os.Stderr
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Process.Kill(); _ = w.Wait() })
	if j := c.waitJob(created.ID, time.Minute); j.Status != "completed" {
		t.Fatalf("after a worker started the export is %s (%s), want completed", j.Status, j.StatusDetails)
	}
}

// TestExportSurvivesWorkerKill kills serve's job worker process with SIGKILL
// while it exports: serve starts a new worker, the cleanup finds the export's
// heartbeat stale and hands it on, and the export completes with every user.
func TestExportSurvivesWorkerKill(t *testing.T) {
	const users = 300_000
	bin, dir, addr := binaryWithUsers(t, users)
	p := imStartServe(t, bin, dir, addr)
	worker := workerPid(t, p)
	c := imClient(t, addr)
	r := c.admin(http.MethodPost, "/jobs/users-exports", map[string]any{"format": "json"})
	r.wantStatus(t, http.StatusOK)
	var created exJob
	r.decode(t, &created)
	testutil.WaitFor(t, time.Minute, "the export to be processing", func() (string, bool) {
		j := c.exJob(created.ID)
		if j.Status != "pending" && j.Status != "processing" {
			t.Fatalf("the export is %s before its worker could be killed", j.Status)
		}
		return j.Status, j.Status == "processing"
	})
	if err := syscall.Kill(worker, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if j := c.exJob(created.ID); j.Status != "processing" {
		t.Fatalf("the export is %s right after its worker was killed; want processing", j.Status)
	}
	start := time.Now()
	done := c.waitJob(created.ID, 2*time.Minute)
	if done.Status != "completed" || done.Location == "" {
		t.Fatalf("after the kill the export is %s (%s)\n%s", done.Status, done.StatusDetails, p.logs.String())
	}
	t.Logf("completed %v after its worker was killed", time.Since(start))
	if !strings.Contains(p.logs.String(), "export lost its worker") {
		t.Errorf("the export completed, but not through the takeover:\n%s", p.logs.String())
	}
	resp, err := c.client.Get(done.Location)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("download: %d %v", resp.StatusCode, err)
	}
	if n := countLines(t, data); n != users {
		t.Errorf("the export has %d users, want %d", n, users)
	}
}

// workerPid waits for serve to log the pid of its job worker process.
func workerPid(t *testing.T, p *imProcess) int {
	t.Helper()
	var pid int
	testutil.WaitFor(t, 10*time.Second, "serve to start a job worker process", func() (string, bool) {
		m := workerPidPattern.FindStringSubmatch(p.logs.String())
		if m == nil {
			return p.logs.String(), false
		}
		pid, _ = strconv.Atoi(m[1])
		return "", true
	})
	return pid
}

// waitExit waits for cmd to exit, failing t after timeout.
func waitExit(t *testing.T, cmd *exec.Cmd, timeout time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve exited with %v", err)
		}
	case <-time.After(timeout):
		t.Fatalf("serve did not exit within %v of SIGTERM", timeout)
	}
}
