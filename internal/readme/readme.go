// Package readme reads the shell blocks of a Markdown file, such as the
// README, with the markers that tell a test how to run them, and runs them:
// so a test runs the commands the README shows, as written, and checks what
// they print, and the README cannot drift from what the program does.
//
// A shell block is a fenced block tagged sh, bash or shell (other blocks are
// not commands). Its commands are its lines, each with the lines that a
// trailing backslash continues; blank lines and lines holding only a comment
// are no commands. A marker is an HTML comment right after the block's
// closing fence (blank lines between are allowed), one directive a line:
//
//	<!-- readme-test
//	skip: REASON                               the block is not run
//	skip `CMD`: REASON                         the command containing CMD is not run
//	replace `OLD` with `NEW`: REASON           in the commands that contain OLD
//	`CMD` prints `REGEXP`                      its standard output matches
//	`CMD` prints on stderr `REGEXP`            its standard error matches
//	-->
//
// CMD is a part of the command's text, as the README writes it, that no
// other command of the block contains; REGEXP is in Go's syntax, with ^ and
// $ matching at line breaks (\A and \z match at the ends). A marker that
// names no command, or several, is an error, as are a skip without a reason
// and a marker that does not follow a shell block.
package readme

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Block is a shell block and its marker.
type Block struct {
	Line     int    // the line of the opening fence, from 1
	Skip     string // the reason the block is not run; "" when it runs
	Commands []Command
	Expects  []Expect
}

// Command is one command of a block.
type Command struct {
	Line int    // its first line, from 1
	Text string // as the README writes it (continued lines joined by "\\\n")
	Run  string // what runs: Text after the marker's replacements
	Skip string // the reason the command is not run; "" when it runs
}

// Expect is what a command's output must match.
type Expect struct {
	Command int // its index in the block's Commands
	Stderr  bool
	Pattern *regexp.Regexp
}

// Name is how messages refer to the block: README.md:LINE with the file's
// name.
func (b *Block) Name(file string) string { return fmt.Sprintf("%s:%d", file, b.Line) }

var (
	fenceOpen = regexp.MustCompile("^```([A-Za-z]*)\\s*$")
	fenceEnd  = regexp.MustCompile("^```\\s*$")
	shells    = map[string]bool{"sh": true, "bash": true, "shell": true}
)

// markerStart opens the HTML comment of a marker.
const markerStart = "<!-- readme-test"

// Parse returns the shell blocks of the Markdown text md, in order, with
// their markers applied.
func Parse(md string) ([]Block, error) {
	lines := strings.Split(md, "\n")
	var blocks []Block
	for i := 0; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], markerStart) {
			return nil, fmt.Errorf("line %d: a marker that does not follow a shell block", i+1)
		}
		m := fenceOpen.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		start := i
		for i++; i < len(lines) && !fenceEnd.MatchString(lines[i]); i++ {
		}
		if i == len(lines) {
			return nil, fmt.Errorf("line %d: the block is not closed", start+1)
		}
		if !shells[m[1]] {
			continue
		}
		b := Block{Line: start + 1, Commands: commands(lines[start+1:i], start+2)}
		marker, end, err := markerAfter(lines, i+1)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", b.Line, err)
		}
		if err := b.apply(marker); err != nil {
			return nil, fmt.Errorf("the marker of the block at line %d: %w", b.Line, err)
		}
		blocks, i = append(blocks, b), end-1
	}
	return blocks, nil
}

// commands splits a block's lines, the first of which is line first of
// the file, into commands.
func commands(lines []string, first int) []Command {
	var cmds []Command
	var cur *Command
	for n, line := range lines {
		trimmed := strings.TrimSpace(line)
		if cur == nil && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if cur == nil {
			cmds = append(cmds, Command{Line: first + n})
			cur = &cmds[len(cmds)-1]
			cur.Text = line
		} else {
			cur.Text += "\n" + line
		}
		if !strings.HasSuffix(line, "\\") {
			cur.Run, cur = cur.Text, nil
		}
	}
	if cur != nil {
		cur.Run = cur.Text
	}
	return cmds
}

// markerAfter returns the directives of the marker that follows the line
// before i (skipping blank lines), and the index of the line after it; none
// and i when no marker follows.
func markerAfter(lines []string, i int) ([]string, int, error) {
	j := i
	for j < len(lines) && strings.TrimSpace(lines[j]) == "" {
		j++
	}
	if j == len(lines) || !strings.HasPrefix(lines[j], markerStart) {
		return nil, i, nil
	}
	body := strings.TrimPrefix(lines[j], markerStart)
	for ; !strings.Contains(body, "-->"); body += "\n" + lines[j] {
		if j++; j == len(lines) {
			return nil, 0, errors.New("its marker is not closed by -->")
		}
	}
	body, rest, _ := strings.Cut(body, "-->")
	if strings.TrimSpace(rest) != "" {
		return nil, 0, errors.New("text follows its marker's --> on the same line")
	}
	var directives []string
	for d := range strings.SplitSeq(body, "\n") {
		if d = strings.TrimSpace(d); d != "" {
			directives = append(directives, d)
		}
	}
	if len(directives) == 0 {
		return nil, 0, errors.New("its marker is empty")
	}
	return directives, j + 1, nil
}

// The directives of a marker.
var (
	skipBlock   = regexp.MustCompile(`^skip:\s*(.*)$`)
	skipCommand = regexp.MustCompile("^skip `([^`]+)`:\\s*(.*)$")
	replace     = regexp.MustCompile("^replace `([^`]+)` with `([^`]*)`:\\s*(.*)$")
	prints      = regexp.MustCompile("^`([^`]+)` prints (on stderr )?`([^`]+)`$")
)

// apply applies the directives of a marker to b.
func (b *Block) apply(directives []string) error {
	for _, d := range directives {
		if err := b.applyOne(d); err != nil {
			return fmt.Errorf("%q: %w", d, err)
		}
	}
	if b.Skip != "" && len(directives) > 1 {
		return errors.New("a skipped block has no other directive")
	}
	return nil
}

// applyOne applies the directive d to b.
func (b *Block) applyOne(d string) error {
	if m := skipBlock.FindStringSubmatch(d); m != nil {
		b.Skip = m[1]
		return reason(m[1])
	}
	if m := skipCommand.FindStringSubmatch(d); m != nil {
		i, err := b.command(m[1])
		if err == nil {
			b.Commands[i].Skip, err = m[2], reason(m[2])
		}
		return err
	}
	if m := replace.FindStringSubmatch(d); m != nil {
		return b.replace(m[1], m[2], m[3])
	}
	if m := prints.FindStringSubmatch(d); m != nil {
		i, err := b.command(m[1])
		if err != nil {
			return err
		}
		re, err := regexp.Compile("(?m)" + m[3])
		if err != nil {
			return err
		}
		b.Expects = append(b.Expects, Expect{Command: i, Stderr: m[2] != "", Pattern: re})
		return nil
	}
	return errors.New("not a directive: skip: REASON, skip `CMD`: REASON, replace `OLD` with `NEW`: REASON, " +
		"`CMD` prints `REGEXP` or `CMD` prints on stderr `REGEXP`")
}

// reason is an error when a skip or replacement gives no reason.
func reason(why string) error {
	if strings.TrimSpace(why) == "" {
		return errors.New("give the reason after the colon")
	}
	return nil
}

// command returns the index of the one command whose text contains part.
func (b *Block) command(part string) (int, error) {
	found := -1
	for i, c := range b.Commands {
		if !strings.Contains(c.Text, part) {
			continue
		}
		if found >= 0 {
			return 0, fmt.Errorf("more than one command contains %q: name one", part)
		}
		found = i
	}
	if found < 0 {
		return 0, fmt.Errorf("no command contains %q", part)
	}
	return found, nil
}

// replace replaces old with new in the commands that contain it.
func (b *Block) replace(old, new, why string) error {
	if err := reason(why); err != nil {
		return err
	}
	n := 0
	for i := range b.Commands {
		if strings.Contains(b.Commands[i].Run, old) {
			b.Commands[i].Run = strings.ReplaceAll(b.Commands[i].Run, old, new)
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("no command contains %q", old)
	}
	return nil
}
