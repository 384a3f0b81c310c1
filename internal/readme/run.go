package readme

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// Runner runs blocks with bash, each command in turn in one shell (so the
// variables and the working directory a command sets last for the next),
// stopping at the first that fails (set -e, and -o pipefail: a pipeline
// fails when any of its commands does).
type Runner struct {
	Dir string   // the working directory
	Env []string // the environment, as os/exec takes it (nil: this process's)
	// Rewrite holds old, new pairs replaced in every command before it runs
	// (strings.NewReplacer), such as "go run ./cmd/userport", "userport".
	Rewrite []string
}

// Result is what a block's commands printed, by command index.
type Result struct {
	Stdout, Stderr map[int]string
}

// Run runs the block's commands (none when it is skipped) and checks what
// they print against its marker. The error names the command that failed,
// or the expectation that its output missed, with what it printed.
func (r *Runner) Run(ctx context.Context, b *Block) (*Result, error) {
	if b.Skip != "" {
		return &Result{}, nil
	}
	cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "-c", r.script(b))
	cmd.Dir, cmd.Env = r.Dir, r.Env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	res := &Result{Stdout: split(stdout.String()), Stderr: split(stderr.String())}
	if runErr != nil {
		i := last(stdout.String())
		if i < 0 {
			return res, fmt.Errorf("bash: %w\n%s", runErr, stderr.String())
		}
		c := b.Commands[i]
		return res, fmt.Errorf("line %d: %s\nfailed (%w); it printed:\n%s", c.Line, c.Run, runErr, res.printed(i))
	}
	var errs []error
	for _, e := range b.Expects {
		out, stream := res.Stdout[e.Command], "stdout"
		if e.Stderr {
			out, stream = res.Stderr[e.Command], "stderr"
		}
		if !e.Pattern.MatchString(out) {
			c := b.Commands[e.Command]
			errs = append(errs, fmt.Errorf("line %d: %s\nprinted on %s nothing matching %s; it printed:\n%s",
				c.Line, c.Run, stream, strings.TrimPrefix(e.Pattern.String(), "(?m)"), res.printed(e.Command)))
		}
	}
	return res, errors.Join(errs...)
}

// separatorRE is what the script prints on both outputs before each
// command, so that its output can be told from the others': a line holding
// the unit separator (0x1f) and the command's index, after a line break.
var separatorRE = regexp.MustCompile("\n\x1f([0-9]+)\n")

// script is the bash script of b: its commands that run, each after the
// separator of its index on stdout and stderr.
func (r *Runner) script(b *Block) string {
	rewrite := strings.NewReplacer(r.Rewrite...)
	var s strings.Builder
	s.WriteString("set -eo pipefail\n")
	for i, c := range b.Commands {
		if c.Skip != "" {
			continue
		}
		fmt.Fprintf(&s, "printf '\\n\\037%%d\\n' %d; printf '\\n\\037%%d\\n' %d >&2\n%s\n", i, i, rewrite.Replace(c.Run))
	}
	return s.String()
}

// split returns the output of each command in out, by index.
func split(out string) map[int]string {
	parts := map[int]string{}
	locs := separatorRE.FindAllStringSubmatchIndex(out, -1)
	for n, loc := range locs {
		i, _ := strconv.Atoi(out[loc[2]:loc[3]])
		end := len(out)
		if n+1 < len(locs) {
			end = locs[n+1][0]
		}
		parts[i] = out[loc[1]:end]
	}
	return parts
}

// last returns the index of the last command that started in out, -1 when
// none did.
func last(out string) int {
	locs := separatorRE.FindAllStringSubmatch(out, -1)
	if len(locs) == 0 {
		return -1
	}
	i, _ := strconv.Atoi(locs[len(locs)-1][1])
	return i
}

// printed is what command i printed, for messages: its stdout and stderr,
// at most the last 4,000 bytes of each.
func (res *Result) printed(i int) string {
	tail := func(s string) string {
		if len(s) > 4000 {
			return "..." + s[len(s)-4000:]
		}
		return s
	}
	return fmt.Sprintf("--- stdout\n%s--- stderr\n%s---", tail(res.Stdout[i]), tail(res.Stderr[i]))
}
