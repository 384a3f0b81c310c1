package search

import "strings"

// glob is a term with * wildcards: the literal parts between them.
type glob struct {
	parts    []string // len = wildcards + 1; the first is a prefix, the last a suffix
	literals int      // characters other than wildcards
}

// newGlob compiles a term token, normalized for field f (nil: as written,
// the default fields compare each value normalized for itself).
func newGlob(t token, f *field) *glob {
	g := &glob{}
	var cur strings.Builder
	for i := 0; i < len(t.text); i++ {
		if t.wild[i] {
			g.parts = append(g.parts, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(t.text[i])
	}
	g.parts = append(g.parts, cur.String())
	for i, p := range g.parts {
		if f != nil {
			g.parts[i] = f.normalize(p)
		}
		g.literals += len([]rune(p))
	}
	return g
}

// match reports whether s matches the pattern.
func (g *glob) match(s string) bool {
	if !strings.HasPrefix(s, g.parts[0]) {
		return false
	}
	s = s[len(g.parts[0]):]
	if len(g.parts) == 1 {
		return s == ""
	}
	last := g.parts[len(g.parts)-1]
	for _, mid := range g.parts[1 : len(g.parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return strings.HasSuffix(s, last)
}

// prefix returns the literal prefix of a pattern that ends with its only
// wildcard ("john*"), and whether it is one.
func (g *glob) prefix() (string, bool) {
	return g.parts[0], len(g.parts) == 2 && g.parts[1] == ""
}
