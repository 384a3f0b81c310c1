package supervisor_test

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/userport/userport/internal/supervisor"
)

// niceMode makes the test binary lower its priority by the given amount and
// print the nice value of each of its threads.
const niceMode = "SUPERVISOR_TEST_NICE"

func init() {
	n := os.Getenv(niceMode)
	if n == "" {
		return
	}
	by, _ := strconv.Atoi(n)
	if err := supervisor.LowerPriority(by); err != nil {
		os.Stdout.WriteString("error: " + err.Error())
		os.Exit(1)
	}
	tasks, _ := os.ReadDir("/proc/self/task")
	for _, task := range tasks {
		tid, _ := strconv.Atoi(task.Name())
		prio, err := unix.Getpriority(unix.PRIO_PROCESS, tid)
		if err == nil {
			os.Stdout.WriteString(strconv.Itoa(20-prio) + "\n")
		}
	}
	os.Exit(0)
}

func TestLowerPriority(t *testing.T) {
	prio, err := unix.Getpriority(unix.PRIO_PROCESS, 0)
	if err != nil {
		t.Fatal(err)
	}
	base := 20 - prio
	for _, tc := range []struct{ by, want int }{{0, base}, {3, min(base+3, 19)}, {40, 19}} {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), niceMode+"="+strconv.Itoa(tc.by))
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("by %d: %v %s", tc.by, err, out)
		}
		for _, line := range strings.Fields(string(out)) {
			if line != strconv.Itoa(tc.want) {
				t.Errorf("by %d: a thread's nice value is %s, want %d (all: %q)", tc.by, line, tc.want, out)
				break
			}
		}
	}
}
