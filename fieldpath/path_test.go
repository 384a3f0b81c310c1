package fieldpath_test

import (
	"strings"
	"testing"

	"github.com/userport/userport/fieldpath"
)

// segs renders a path's segments as "key|[n]|key" for comparison.
func segs(p fieldpath.Path) string {
	var parts []string
	for _, s := range p.Segments() {
		if s.IsIndex() {
			parts = append(parts, s.String())
		} else {
			parts = append(parts, "k:"+s.Key)
		}
	}
	return strings.Join(parts, "|")
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		in     string
		segs   string
		root   string
		isRoot bool
	}{
		{"email", "k:email", "email", true},
		{"user_metadata.consent.given", "k:user_metadata|k:consent|k:given", "user_metadata", false},
		{"identities[0].connection", "k:identities|[0]|k:connection", "identities", false},
		{"app_metadata.stripe[0].customer_id", "k:app_metadata|k:stripe|[0]|k:customer_id", "app_metadata", false},
		{"a[0][1]", "k:a|[0]|[1]", "a", false},
		{"a[10].b[2].c", "k:a|[10]|k:b|[2]|k:c", "a", false},
		{"a[2147483647]", "k:a|[2147483647]", "a", false},
		{"$weird-key_1", "k:$weird-key_1", "$weird-key_1", true},
		{"clé.ünïcode", "k:clé|k:ünïcode", "clé", false},
		{"with space.x y", "k:with space|k:x y", "with space", false},
		{"😀", "k:😀", "😀", true},
		{`"quoted"`, `k:"quoted"`, `"quoted"`, true},
		{"a\\b", `k:a\b`, `a\b`, true},
		{"0", "k:0", "0", true},
	}
	for _, tt := range tests {
		p, err := fieldpath.Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got := segs(p); got != tt.segs {
			t.Errorf("Parse(%q) segments = %s, want %s", tt.in, got, tt.segs)
		}
		if got := p.String(); got != tt.in {
			t.Errorf("Parse(%q).String() = %q", tt.in, got)
		}
		if got := p.Root(); got != tt.root {
			t.Errorf("Parse(%q).Root() = %q, want %q", tt.in, got, tt.root)
		}
		if got := p.IsRoot(); got != tt.isRoot {
			t.Errorf("Parse(%q).IsRoot() = %v, want %v", tt.in, got, tt.isRoot)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		in      string
		message string // a part of the error message
	}{
		{"", "empty path"},
		{"a..b", "empty key at offset 2"},
		{".a", "empty key at offset 0"},
		{"a.", "empty key at offset 2"},
		{"x[", "unclosed '[' at offset 1"},
		{"x[0", "unclosed '['"},
		{"x[]", "empty index"},
		{"x[-1]", "non-negative integer"},
		{"x[+1]", "non-negative integer"},
		{"x[a]", "non-negative integer"},
		{"x[ 0]", "non-negative integer"},
		{"x[01]", "leading zero"},
		{"x[2147483648]", "larger than"},
		{"x[99999999999999999999999]", "larger than"},
		{"[0]", "must start with a key"},
		{"[0].a", "must start with a key"},
		{"a]", "unexpected ']' at offset 1"},
		{"a[0]]", "unexpected ']' at offset 4"},
		{"a[0]b", "expected '.' or '[' at offset 4"},
		{"a.[0]", "empty key at offset 2"},
		{"a[[0]]", "non-negative integer"},
		{"a.b.", "empty key at offset 4"},
	}
	for _, tt := range tests {
		p, err := fieldpath.Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) = %q, want an error", tt.in, p)
			continue
		}
		if !strings.Contains(err.Error(), tt.message) {
			t.Errorf("Parse(%q) error = %q, want it to contain %q", tt.in, err, tt.message)
		}
		if !strings.Contains(err.Error(), "field path") {
			t.Errorf("Parse(%q) error = %q, want it to name the field path", tt.in, err)
		}
		if !p.IsZero() {
			t.Errorf("Parse(%q) returned a non-zero path with its error", tt.in)
		}
	}
}

func TestPathAccessors(t *testing.T) {
	p := fieldpath.MustParse("identities[0].connection")
	if p.Len() != 3 {
		t.Fatalf("Len() = %d, want 3", p.Len())
	}
	if s := p.Segment(1); !s.IsIndex() || s.Index != 0 || s.String() != "[0]" {
		t.Errorf("Segment(1) = %+v, want index 0", s)
	}
	if s := p.Segment(2); s.IsIndex() || s.Key != "connection" || s.Index != -1 {
		t.Errorf("Segment(2) = %+v, want key connection", s)
	}
	got := p.Segments()
	got[0].Key = "changed"
	if p.Root() != "identities" {
		t.Errorf("Segments() let the caller change the path")
	}
	if !p.Equal(fieldpath.MustParse("identities[0].connection")) || p.Equal(fieldpath.MustParse("identities[1].connection")) {
		t.Errorf("Equal is wrong")
	}
	var zero fieldpath.Path
	if !zero.IsZero() || zero.String() != "" || zero.Root() != "" || zero.IsRoot() || zero.Len() != 0 {
		t.Errorf("zero Path = %q, Root %q, IsRoot %v", zero, zero.Root(), zero.IsRoot())
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("MustParse(\"a..b\") did not panic")
		}
	}()
	fieldpath.MustParse("a..b")
}
