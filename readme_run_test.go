package userport_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/userport/userport/internal/readme"
	"github.com/userport/userport/internal/testutil"
)

// TestReadmeRuns runs the shell blocks of README.md, in order, as a newcomer
// would on a fresh clone: in an empty directory, with an empty home, against
// `userport serve` on a random port (the README's own serve commands are
// skipped by their markers). Each command must exit 0 and print what the
// marker after its block says (see internal/readme for the markers). `go
// run ./cmd/userport` is the binary built once from ./cmd/userport, which
// is also `userport` on the PATH.
func TestReadmeRuns(t *testing.T) {
	blocks, err := readme.Parse(readFile(t, "README.md"))
	if err != nil {
		t.Fatalf("README.md: %v", err)
	}
	bin := t.TempDir()
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/userport").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	work, home := t.TempDir(), t.TempDir()
	env := readmeEnv(bin, home)
	server := startReadmeServer(t, filepath.Join(bin, "userport"), work, env)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	r := &readme.Runner{Dir: work, Env: env, Rewrite: []string{"go run ./cmd/userport", "userport"}}
	for _, b := range blocks {
		name := b.Name("README.md")
		if b.Skip != "" {
			t.Logf("%s: skipped: %s", name, b.Skip)
			continue
		}
		for _, c := range b.Commands {
			if c.Skip != "" {
				t.Logf("README.md:%d: skipped %q: %s", c.Line, c.Text, c.Skip)
			}
		}
		start := time.Now()
		if _, err := r.Run(ctx, &b); err != nil {
			t.Fatalf("%s: %v\nthe server's log:\n%s", name, err, server.String())
		}
		t.Logf("%s: ran in %.1fs", name, time.Since(start).Seconds())
	}
}

// readmeEnv is the environment of the README's commands: this process's
// without any USERPORT_ setting or shell startup file, with a home of its
// own (no saved profile) and bin first on the PATH.
func readmeEnv(bin, home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "USERPORT_"), strings.HasPrefix(name, "XDG_"),
			name == "HOME", name == "PATH", name == "BASH_ENV", name == "ENV":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// startReadmeServer starts `userport serve` on 127.0.0.1:0 in dir, as the
// README's serve commands would (its data in ./userport-data, its URL in
// admin-client.json), waits until it serves and stops it when the test ends.
func startReadmeServer(t *testing.T, exe, dir string, env []string) *testutil.SyncBuffer {
	t.Helper()
	cmd := exec.Command(exe, "serve", "--addr", "127.0.0.1:0")
	logs := &testutil.SyncBuffer{}
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, logs, logs
	cmd.WaitDelay = time.Minute
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := <-exited; err != nil {
			t.Errorf("userport serve: %v\n%s", err, logs.String())
		}
	})
	serving := regexp.MustCompile(`msg="userport serving" url=http://127\.0\.0\.1:\d+ `)
	testutil.WaitFor(t, time.Minute, "userport serve to serve", func() (string, bool) {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("userport serve exited: %v\n%s", err, logs.String())
		default:
		}
		return logs.String(), serving.MatchString(logs.String())
	})
	return logs
}
