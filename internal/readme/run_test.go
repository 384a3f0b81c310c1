package readme_test

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/userport/userport/internal/readme"
)

// block parses md, which holds one shell block.
func block(t *testing.T, md string) *readme.Block {
	t.Helper()
	blocks, err := readme.Parse(md)
	if err != nil || len(blocks) != 1 {
		t.Fatalf("Parse: %d blocks, %v", len(blocks), err)
	}
	return &blocks[0]
}

func TestRun(t *testing.T) {
	b := block(t, "```sh\n"+
		"x=two\n"+
		"echo one; echo \"err $x\" >&2\n"+
		"printf 'no newline'\n"+
		"exit 3   # skipped\n"+
		"cat marker.txt | \\\n"+
		"  tr a-z A-Z\n"+
		"TOOL --limit 1000\n"+
		"```\n"+
		"<!-- readme-test\n"+
		"skip `exit 3`: it would stop the block\n"+
		"replace `1000` with `3`: smaller\n"+
		"`echo one` prints `\\Aone\\n\\z`\n"+
		"`echo one` prints on stderr `^err two$`\n"+
		"`marker.txt` prints `^HERE$`\n"+
		"-->\n")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "marker.txt"), []byte("here\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := &readme.Runner{Dir: dir, Rewrite: []string{"TOOL", "echo tool"}}
	res, err := r.Run(t.Context(), b)
	if err != nil {
		t.Fatal(err)
	}
	// Each command's output, exactly; none for x=two, the skipped one none.
	wantOut := map[int]string{0: "", 1: "one\n", 2: "no newline", 4: "HERE\n", 5: "tool --limit 3\n"}
	wantErr := map[int]string{0: "", 1: "err two\n", 2: "", 4: "", 5: ""}
	if !maps.Equal(res.Stdout, wantOut) || !maps.Equal(res.Stderr, wantErr) {
		t.Errorf("stdout %v\nstderr %v", res.Stdout, res.Stderr)
	}
}

// TestRunFails: a command that fails stops the block, and the error names
// it with what it printed; so does an output that misses its pattern.
func TestRunFails(t *testing.T) {
	for _, tt := range []struct {
		md, want string
	}{
		{"```sh\necho a\nfalse\necho b\n```\n", "line 3: false\nfailed (exit status 1); it printed:\n--- stdout\n--- stderr\n---"},
		{"```sh\necho a\necho b >&2; false | cat\necho c\n```\n", "line 3: echo b >&2; false | cat\nfailed (exit status 1); it printed:\n--- stdout\n--- stderr\nb\n---"},
		{"```sh\necho -o -\n```\n<!-- readme-test\n`-o -` prints `^x$`\n-->\n", "line 2: echo -o -\nprinted on stdout nothing matching ^x$"},
		{"```sh\necho x\n```\n<!-- readme-test\n`echo` prints on stderr `x`\n-->\n", "line 2: echo x\nprinted on stderr nothing matching x; it printed:\n--- stdout\nx\n--- stderr\n---"},
	} {
		_, err := (&readme.Runner{Dir: t.TempDir()}).Run(t.Context(), block(t, tt.md))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want %q", tt.md, err, tt.want)
		}
	}
	// A skipped block does not run.
	b := block(t, "```sh\nexit 1\n```\n<!-- readme-test skip: it fails -->\n")
	if _, err := (&readme.Runner{Dir: t.TempDir()}).Run(t.Context(), b); err != nil {
		t.Errorf("skipped block: %v", err)
	}
}
