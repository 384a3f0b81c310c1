package userport_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/client"
	"github.com/userport/userport/fieldpath"
	"github.com/userport/userport/seed"
)

// readFile returns the text of the repository's file at path.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReadmeGoVersion: the Go the README asks for is the one go.mod needs.
func TestReadmeGoVersion(t *testing.T) {
	mod := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(readFile(t, "go.mod"))
	readme := regexp.MustCompile(`with Go (\S+?)[ :]`).FindStringSubmatch(readFile(t, "README.md"))
	if mod == nil || readme == nil || readme[1] != mod[1] {
		t.Errorf("the README asks for Go %q, go.mod needs %q", readme, mod)
	}
}

// TestReadmeFields: every --field of the README's examples names a profile
// attribute and has a value in the users `userport seed` writes, so the
// example exports what it says.
func TestReadmeFields(t *testing.T) {
	var fields client.Fields
	for _, m := range regexp.MustCompile(`--field ([^\s]+)`).FindAllStringSubmatch(readFile(t, "README.md"), -1) {
		if err := fields.Set(strings.Trim(m[1], "`")); err != nil {
			t.Fatal(err)
		}
	}
	if len(fields) == 0 {
		t.Fatal("no --field in the README")
	}
	if unknown := fields.Unknown(); len(unknown) > 0 {
		t.Errorf("the README's fields %q are no profile attributes", unknown)
	}
	conn := &userport.Connection{Tenant: "dev", ID: "con_0000000000000001", Name: userport.DefaultConnectionName}
	g := seed.New(1, "dev", conn, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	found := make(map[string]bool)
	for range 100 {
		doc := g.Next().Doc
		for _, f := range fields {
			if _, _, ok := fieldpath.MustParse(f.Name).Lookup(doc); ok {
				found[f.Name] = true
			}
		}
	}
	for _, f := range fields {
		if !found[f.Name] {
			t.Errorf("--field %s: no value in 100 seeded users", f.Name)
		}
	}
}
