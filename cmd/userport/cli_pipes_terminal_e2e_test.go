package main

// Exports to standard output, imports from standard input, the output path
// checked before the job, and the first frames of the progress bars, seen
// through a pseudo-terminal (issue 25, cases 1, 5, 8 and 10).

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/creack/pty"

	"github.com/userport/userport/client"
)

// termScreen calls use with the tty of a pseudo-terminal and returns what
// the terminal received.
func termScreen(t *testing.T, use func(tty *os.File)) string {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal on this system: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 24, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	var screen bytes.Buffer
	read := make(chan error, 1)
	go func() { _, err := io.Copy(&screen, ptmx); read <- err }()
	use(tty)
	tty.Close() // the reader gets what was written, then EIO
	if rerr := <-read; rerr != nil && !errors.Is(rerr, os.ErrClosed) && !strings.Contains(rerr.Error(), "input/output error") {
		t.Errorf("read the terminal: %v", rerr)
	}
	return screen.String()
}

// TestCLIPipes is not parallel: its import reads os.Stdin, which it replaces.
func TestCLIPipes(t *testing.T) {
	b := exStart(t, nil)
	b.putUsers(b.connection(upa), 0, 30)
	dir := t.TempDir()
	summary := regexp.MustCompile(`exported 30 users to standard output: (\d+) bytes in [0-9.]+s \(job job_\w{16}\)\r\n`)

	t.Run("export -o -: the file on stdout, progress and summary on the terminal", func(t *testing.T) {
		var stdout bytes.Buffer
		screen := termScreen(t, func(tty *os.File) {
			if err := run(context.Background(), b.cliArgs("export", "-o", "-"), &stdout, tty); err != nil {
				t.Errorf("export -o -: %v", err)
			}
		})
		lines := strings.Split(strings.TrimSuffix(string(exGunzip(t, stdout.Bytes())), "\n"), "\n")
		if len(lines) != 31 || !strings.HasPrefix(lines[0], "user_id,email,") {
			t.Errorf("stdout: %d lines, header %q", len(lines), lines[0])
		}
		if m := summary.FindStringSubmatch(screen); m == nil || m[1] != strconv.Itoa(stdout.Len()) || !strings.Contains(screen, "completed 100%") {
			t.Errorf("the terminal (%d bytes on stdout):\n%q", stdout.Len(), screen)
		}
		if _, err := os.Stat("-"); !errors.Is(err, os.ErrNotExist) {
			os.Remove("-")
			t.Errorf("a file named - was written: %v", err)
		}
	})
	t.Run("import -: standard input uploaded", func(t *testing.T) {
		in := filepath.Join(dir, "in.ndjson")
		if err := os.WriteFile(in, imNDJSON(`{"email":"pipe1@example.com"}`, `{"email":"pipe2@example.com"}`), 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(in)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		saved := os.Stdin
		os.Stdin = f
		defer func() { os.Stdin = saved }()
		screen := termScreen(t, func(tty *os.File) {
			if err := run(context.Background(), b.cliArgs("import", "-", "--connection", upa), tty, tty); err != nil {
				t.Errorf("import -: %v", err)
			}
		})
		if !strings.Contains(screen, "uploading stdin\r\n") || !strings.Contains(screen, " completed: 2 records (2 inserted, 0 updated, 0 failed) into "+upa) {
			t.Errorf("the terminal:\n%q", screen)
		}
	})
	t.Run("import - from a terminal: refused, not waited on", func(t *testing.T) {
		termScreen(t, func(tty *os.File) {
			saved := os.Stdin
			os.Stdin = tty
			defer func() { os.Stdin = saved }()
			_, _, err := cliRun(b.cliArgs("import", "-", "--connection", upa)...)
			cliOneLine(t, err, "import -: standard input is a terminal; pipe a file in")
		})
	})
	t.Run("export -o - to a terminal: gzip refused before the job", func(t *testing.T) {
		before := cliJobCount(t, b)
		termScreen(t, func(tty *os.File) {
			err := run(context.Background(), b.cliArgs("export", "-o", "-"), tty, io.Discard)
			cliOneLine(t, err, "-o - would write gzip to the terminal: pipe it, or add --gunzip")
		})
		if after := cliJobCount(t, b); after != before {
			t.Errorf("%d jobs created", after-before)
		}
	})
	t.Run("the bars' first frames", func(t *testing.T) {
		screen := termScreen(t, func(tty *os.File) {
			if err := run(context.Background(), b.cliArgs("export", "-o", filepath.Join(dir, "frames.csv.gz")), tty, tty); err != nil {
				t.Errorf("export: %v", err)
			}
		})
		frames := cliBar.FindAllString(screen, -1)
		if len(frames) == 0 || regexp.MustCompile(`pending|completed +\d%|completed +\d\d%`).MatchString(strings.Join(frames, "\n")) ||
			regexp.MustCompile(`[0-9.]+ [GT]B/s`).MatchString(screen) {
			t.Errorf("frames %q; the terminal:\n%q", frames, screen)
		}
	})
	t.Run("the output checked before the job", func(t *testing.T) {
		existing := filepath.Join(dir, "frames.csv.gz")
		before := cliJobCount(t, b)
		for _, tt := range []struct{ out, want string }{
			{existing, existing + " exists: give --force to overwrite it"},
			{filepath.Join(dir, "nodir", "x.csv"), "cannot write " + filepath.Join(dir, "nodir", "x.csv") + ": no directory " + filepath.Join(dir, "nodir")},
		} {
			_, _, err := cliRun(b.cliArgs("export", "-o", tt.out)...)
			cliOneLine(t, err, tt.want)
		}
		if after := cliJobCount(t, b); after != before {
			t.Errorf("%d jobs created for refused outputs", after-before)
		}
		if _, _, err := cliRun(b.cliArgs("export", "-o", existing, "--force")...); err != nil {
			t.Errorf("--force: %v", err)
		}
	})
	t.Run("the format from the name, a misspelled field warned of", func(t *testing.T) {
		path := filepath.Join(dir, "users.ndjson")
		_, stderr, err := cliRun(b.cliArgs("export", "--gunzip", "--field", "email", "--field", "emial", "-o", path)...)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(path)
		if !strings.HasPrefix(string(data), `{"email":"user0@example.com"}`+"\n") {
			t.Errorf("file:\n%.200s", data)
		}
		if !strings.Contains(stderr, "warning: --field emial does not start with a user profile attribute") || strings.Contains(stderr, "--field email ") {
			t.Errorf("stderr:\n%s", stderr)
		}
	})
}

// cliJobCount is how many jobs b's tenant has.
func cliJobCount(t *testing.T, b *bundle) int {
	t.Helper()
	p, err := b.cliClient(client.Options{}).ListJobs(context.Background(), 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	return p.Total
}
