package readme_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/userport/userport/internal/readme"
)

const sample = "# Title\n" +
	"\n" +
	"```json\n" +
	"{\"not\": \"a command\"}\n" +
	"```\n" +
	"\n" +
	"```sh\n" +
	"# a comment line\n" +
	"tool serve &    # the server\n" +
	"\n" +
	"tool seed --users 1000000\n" +
	"tool export -o - \\\n" +
	"  --limit 3\n" +
	"```\n" +
	"\n" +
	"<!-- readme-test\n" +
	"skip `serve &`: the test runs its own server\n" +
	"replace `--users 1000000` with `--users 20`: quicker\n" +
	"`export -o -` prints `\\Aid\\n`\n" +
	"`export -o -` prints on stderr `^exported 3`\n" +
	"-->\n" +
	"Text.\n" +
	"```bash\n" +
	"make test\n" +
	"```\n" +
	"<!-- readme-test skip: it runs this test -->\n"

func TestParse(t *testing.T) {
	blocks, err := readme.Parse(sample)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 2 {
		t.Fatalf("%d blocks, want the sh and the bash ones", len(blocks))
	}
	b := blocks[0]
	want := []readme.Command{
		{Line: 9, Text: "tool serve &    # the server", Run: "tool serve &    # the server", Skip: "the test runs its own server"},
		{Line: 11, Text: "tool seed --users 1000000", Run: "tool seed --users 20"},
		{Line: 12, Text: "tool export -o - \\\n  --limit 3", Run: "tool export -o - \\\n  --limit 3"},
	}
	if b.Line != 7 || b.Skip != "" || !reflect.DeepEqual(b.Commands, want) {
		t.Errorf("block at line %d, skip %q, commands\n%#v\nwant at line 7\n%#v", b.Line, b.Skip, b.Commands, want)
	}
	if len(b.Expects) != 2 || b.Expects[0].Command != 2 || b.Expects[0].Stderr || b.Expects[0].Pattern.String() != `(?m)\Aid\n` ||
		b.Expects[1].Command != 2 || !b.Expects[1].Stderr || b.Expects[1].Pattern.String() != `(?m)^exported 3` {
		t.Errorf("expects %+v", b.Expects)
	}
	if b := blocks[1]; b.Line != 23 || b.Skip != "it runs this test" || len(b.Commands) != 1 || b.Name("README.md") != "README.md:23" {
		t.Errorf("second block %+v", b)
	}
}

func TestParseErrors(t *testing.T) {
	block := "```sh\necho one\necho two\n```\n"
	for _, tt := range []struct {
		md, want string
	}{
		{"```sh\necho one\n", "line 1: the block is not closed"},
		{block + "<!-- readme-test\nskip: why\n", "its marker is not closed by -->"},
		{block + "<!-- readme-test -->", "its marker is empty"},
		{block + "<!-- readme-test skip: why --> more", "text follows its marker's -->"},
		{block + "<!-- readme-test\nrun it twice\n-->", `"run it twice": not a directive`},
		{block + "<!-- readme-test\nskip:\n-->", `"skip:": give the reason after the colon`},
		{block + "<!-- readme-test\nskip `two`:  \n-->", "give the reason after the colon"},
		{block + "<!-- readme-test\nreplace `one` with `1`:\n-->", "give the reason after the colon"},
		{block + "<!-- readme-test\nskip `echo`: why\n-->", `more than one command contains "echo": name one`},
		{block + "<!-- readme-test\nskip `three`: why\n-->", `no command contains "three"`},
		{block + "<!-- readme-test\nreplace `three` with `3`: why\n-->", `no command contains "three"`},
		{block + "<!-- readme-test\n`three` prints `x`\n-->", `no command contains "three"`},
		{block + "<!-- readme-test\n`one` prints `(`\n-->", "missing closing )"},
		{block + "<!-- readme-test\nskip: why\n`one` prints `x`\n-->", "a skipped block has no other directive"},
	} {
		_, err := readme.Parse(tt.md)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want %q", tt.md, err, tt.want)
		}
	}
	// A marker after another kind of block, or not right after a block,
	// would be silently ignored: it is an error.
	for _, md := range []string{
		"```json\n{}\n```\n<!-- readme-test\nskip: why\n-->\n",
		block + "Text.\n<!-- readme-test\nskip: why\n-->\n",
	} {
		if _, err := readme.Parse(md); err == nil || !strings.Contains(err.Error(), "a marker that does not follow a shell block") {
			t.Errorf("Parse(%q) = %v", md, err)
		}
	}
}
