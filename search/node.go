package search

import (
	"strconv"

	"github.com/userport/userport"
	"strings"
	"time"
)

// node is a parsed clause: a predicate over a document.
type node interface {
	match(doc []byte) bool
}

// boolNode is a list of clauses, each required, prohibited or optional
// (Lucene's BooleanQuery): it matches when every required clause matches,
// no prohibited one does, and, when none is required, at least one optional
// clause does (if there is any: a purely negative query matches what it
// does not prohibit).
type boolNode struct {
	clauses []node
	occurs  []occur
}

func (b *boolNode) match(doc []byte) bool {
	hasMust, hasShould := false, false
	for i, c := range b.clauses {
		switch b.occurs[i] {
		case must:
			hasMust = true
			if !c.match(doc) {
				return false
			}
		case mustNot:
			if c.match(doc) {
				return false
			}
		case should:
			hasShould = true
		}
	}
	if hasMust || !hasShould {
		return true
	}
	for i, c := range b.clauses {
		if b.occurs[i] == should && c.match(doc) {
			return true
		}
	}
	return false
}

// termNode matches a field's values against one term or phrase.
type termNode struct {
	field *field // nil: the default fields
	text  string // normalized for the field
	glob  *glob  // a term with wildcards
	// A term without a field: its text and pattern lower-cased, for the
	// default fields that compare case-insensitively.
	textFold string
	globFold *glob
	exists   bool // field:*
	num      float64
	isNum    bool
	period   *period // a date term on a date field
}

// newTerm builds the node of a term token of field f (nil: default fields).
func newTerm(f *field, t token) (node, error) {
	if !hasWild(t) {
		return newExact(f, t.text, t.pos)
	}
	if t.text == "*" {
		if f == nil {
			return nil, errorAt(t.pos, "* needs a field")
		}
		if f.meta {
			return nil, errorAt(t.pos, "wildcards are not allowed on metadata fields (%s); use _exists_:%s", f.name, f.name)
		}
		return &existsNode{field: f}, nil
	}
	if f != nil && f.meta {
		return nil, errorAt(t.pos, "wildcards are not allowed on metadata fields (%s)", f.name)
	}
	g := newGlob(t, f)
	if t.wild[0] && g.literals < 3 {
		return nil, errorAt(t.pos, "a term that starts with * needs at least 3 other characters")
	}
	n := &termNode{field: f, glob: g}
	if f == nil {
		n.globFold = newGlob(t, defaultFields[1]) // email: case-insensitive
	}
	return n, nil
}

// newPhrase builds the node of a quoted phrase: an exact value.
func newPhrase(f *field, t token) (node, error) { return newExact(f, t.text, t.pos) }

// newExact builds a node that matches the whole value text.
func newExact(f *field, text string, pos int) (node, error) {
	n := &termNode{field: f, text: text, textFold: strings.ToLower(text)}
	if f != nil {
		n.text = f.normalize(text)
		if f.date {
			if p, ok := parseDate(text); ok {
				n.period = &p
			}
		}
	}
	n.num, n.isNum = parseNumber(text)
	return n, nil
}

// parseNumber parses a decimal number as JSON writes them.
func parseNumber(s string) (float64, bool) {
	if s == "" || strings.ContainsAny(s, "xXpP_") || strings.EqualFold(s, "inf") || strings.EqualFold(s, "nan") ||
		strings.HasPrefix(strings.TrimLeft(s, "+-"), "i") || strings.HasPrefix(strings.TrimLeft(s, "+-"), "I") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func (n *termNode) match(doc []byte) bool {
	if n.field != nil {
		return n.matchField(doc, n.field)
	}
	for _, f := range defaultFields {
		if n.matchField(doc, f) {
			return true
		}
	}
	return false
}

func (n *termNode) matchField(doc []byte, f *field) bool {
	return eachValue(doc, f, func(v value) bool {
		switch v.kind {
		case kString:
			return n.matchString(f, v.text)
		case kNumber:
			return n.isNum && n.glob == nil && v.num == n.num
		case kBool:
			return n.glob == nil && v.text == n.text
		}
		return false
	})
}

func (n *termNode) matchString(f *field, s string) bool {
	if n.period != nil {
		t, ok := parseStored(s)
		return ok && n.period.contains(t)
	}
	s = f.normalize(s)
	want, g := n.text, n.glob
	if n.field == nil && f.fold {
		want, g = n.textFold, n.globFold
	}
	if g != nil {
		return g.match(s)
	}
	return s == want
}

// existsNode matches documents where a field has a value other than null,
// an empty array or an empty object.
type existsNode struct{ field *field }

func (n *existsNode) match(doc []byte) bool {
	return eachValue(doc, n.field, func(v value) bool { return v.kind != kNull && v.kind != kEmpty })
}

// bound is one end of a range.
type bound struct {
	text string
	open bool // *
	incl bool
	pos  int
}

// rangeNode matches values in a range: dates on date fields, numbers when
// the bounds are numbers, strings otherwise.
type rangeNode struct {
	field    *field
	lo, hi   bound
	kind     kind // kString, kNumber or kDate
	loT, hiT time.Time
	loN, hiN float64
	loS, hiS string
}

// kDate is a rangeNode's kind for dates.
const kDate kind = 100

// newRange builds a range node of field f.
func newRange(f *field, pos int, lo, hi bound) (node, error) {
	if f == nil {
		return nil, errorAt(pos, "a range needs a field")
	}
	if f.meta {
		return nil, errorAt(pos, "ranges are not allowed on metadata fields (%s)", f.name)
	}
	n := &rangeNode{field: f, lo: lo, hi: hi, kind: kString}
	switch {
	case f.date:
		return n.dates()
	case numeric(lo) && numeric(hi) && !(lo.open && hi.open):
		n.kind = kNumber
		n.loN, _ = parseNumber(lo.text)
		n.hiN, _ = parseNumber(hi.text)
	default:
		n.loS, n.hiS = f.normalize(lo.text), f.normalize(hi.text)
	}
	return n, nil
}

// numeric reports whether a bound is open or a number.
func numeric(b bound) bool {
	_, ok := parseNumber(b.text)
	return b.open || ok
}

// dates reads the bounds of a date range: each names a period; an
// inclusive lower bound starts at its start, an exclusive one at its end,
// an inclusive upper bound ends at its end, an exclusive one at its start
// (so {2017-11 TO 2017-12] is December 2017).
func (n *rangeNode) dates() (node, error) {
	n.kind = kDate
	for _, b := range []*bound{&n.lo, &n.hi} {
		if b.open {
			continue
		}
		p, ok := parseDate(b.text)
		if !ok {
			return nil, errorAt(b.pos, "%q is not a date (2020, 2020-01, 2020-01-31, 2020-01-31T10:00, ...)", userport.Excerpt(b.text))
		}
		if b == &n.lo {
			n.loT = p.start
			if !b.incl {
				n.loT = p.end
			}
		} else {
			n.hiT = p.start
			if b.incl {
				n.hiT = p.end
			}
		}
	}
	return n, nil
}

func (n *rangeNode) match(doc []byte) bool {
	return eachValue(doc, n.field, func(v value) bool {
		switch {
		case n.kind == kDate && v.kind == kString:
			t, ok := parseStored(v.text)
			return ok && (n.lo.open || !t.Before(n.loT)) && (n.hi.open || t.Before(n.hiT))
		case n.kind == kNumber && v.kind == kNumber:
			return n.inNumbers(v.num)
		case n.kind == kString && v.kind == kString:
			return n.inStrings(n.field.normalize(v.text))
		}
		return false
	})
}

func (n *rangeNode) inNumbers(x float64) bool {
	lo := n.lo.open || x > n.loN || (n.lo.incl && x == n.loN)
	hi := n.hi.open || x < n.hiN || (n.hi.incl && x == n.hiN)
	return lo && hi
}

func (n *rangeNode) inStrings(s string) bool {
	lo := n.lo.open || s > n.loS || (n.lo.incl && s == n.loS)
	hi := n.hi.open || s < n.hiS || (n.hi.incl && s == n.hiS)
	return lo && hi
}
