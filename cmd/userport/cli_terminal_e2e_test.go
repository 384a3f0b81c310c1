package main

// The export command seen through a pseudo-terminal (a progress bar) and
// through a pipe (plain lines), on a million seeded users.

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cliTerminalUsers is how many users the terminal test exports: 1,000,000
// (the figure, which CI runs), 50,000 with -short (make test-race), or
// USERPORT_TEST_TERMINAL_USERS.
func cliTerminalUsers(t *testing.T) int {
	t.Helper()
	if v := os.Getenv("USERPORT_TEST_TERMINAL_USERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("USERPORT_TEST_TERMINAL_USERS=%q: want a positive integer", v)
		}
		return n
	}
	if testing.Short() {
		return 50_000
	}
	return 1_000_000
}

// cliBar is a rendering of the job's progress bar: the job, its status and
// time left, its percentage, then the bar (the download's bar names no job).
var cliBar = regexp.MustCompile(`job_\w{16} [a-z]+(?:, [0-9hms]+ left)? +(\d+)% \|[^|\r\n]*\|`)

func TestCLIExportTerminal(t *testing.T) {
	t.Parallel()
	n := cliTerminalUsers(t)
	dir := exSeedTemplate(t, n) // the server's own data dir: a million users are not copied
	cfg := testConfig(dir)
	cfg.PollInterval, cfg.ProgressInterval = 20*time.Millisecond, 50*time.Millisecond
	b := start(t, cfg, newTestClock())
	summary := `exported ` + strconv.Itoa(n) + ` users to [^\r\n]+: \d+ bytes in [0-9.]+s \(job job_\w{16}\)`

	t.Run("terminal", func(t *testing.T) {
		screen := cliTerminal(t, b.cliArgs("export", "-o", filepath.Join(t.TempDir(), "dev.csv.gz"))...)
		var seen []int
		for _, m := range cliBar.FindAllStringSubmatch(screen, -1) {
			pct, _ := strconv.Atoi(m[1])
			if len(seen) == 0 || seen[len(seen)-1] != pct {
				seen = append(seen, pct)
			}
		}
		// The bar moved: it showed at least two percentages between 0 and
		// 100 (exclusive), in increasing order, and ended full.
		var between []int
		for _, p := range seen {
			if p > 0 && p < 100 {
				between = append(between, p)
			}
		}
		if len(between) < 2 || !slices.IsSorted(seen) || seen[len(seen)-1] != 100 {
			t.Errorf("the bar showed %v, want it moving", seen)
		}
		// The summary on a line of its own (a terminal's line end is \r\n),
		// then the manifest's lines (from a server with manifests).
		if !regexp.MustCompile(`[\r\n]` + summary + `\r\n(?:\z|checked against the manifest: )`).MatchString(screen) {
			t.Errorf("no summary line on the terminal:\n%q", screen)
		}
		t.Logf("the bar showed %v; the end of the screen: %q", seen, screen[max(0, len(screen)-400):])
	})
	t.Run("piped", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "dev.csv.gz")
		out, _, err := cliRun(b.cliArgs("export", "-o", path)...)
		if err != nil {
			t.Fatalf("export: %v", err)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		// The summary line, then the manifest's lines (from a server with
		// manifests: cmd/userport/incremental_e2e_test.go).
		end := slices.IndexFunc(lines, regexp.MustCompile(`^`+summary+`$`).MatchString)
		if end < 2 || end+1 < len(lines) && !strings.HasPrefix(lines[end+1], "checked against the manifest: ") {
			t.Fatalf("no summary line followed by the manifest's:\n%s", out)
		}
		lines = lines[:end+1]
		processing := regexp.MustCompile(`^job_\w{16} processing \d+%, \S+ left$`)
		moving := 0
		for _, l := range lines[1 : len(lines)-2] {
			if processing.MatchString(l) {
				moving++
			} else {
				t.Errorf("unexpected line %q", l)
			}
		}
		if !strings.HasSuffix(lines[0], " pending") || !strings.HasSuffix(lines[len(lines)-2], " completed") ||
			!regexp.MustCompile(`^`+summary+`$`).MatchString(lines[len(lines)-1]) || strings.ContainsAny(out, "\r|") || moving < 2 {
			t.Errorf("output:\n%s", out)
		}
	})
}

// cliTerminal runs the command args with a pseudo-terminal as its stdout
// and returns what the terminal received.
func cliTerminal(t *testing.T, args ...string) string {
	t.Helper()
	var errb bytes.Buffer
	var err error
	screen := termScreen(t, func(tty *os.File) { err = run(context.Background(), args, tty, &errb) })
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, errb.String())
	}
	return screen
}
