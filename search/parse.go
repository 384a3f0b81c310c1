package search

import (
	"strings"
)

// MaxLength is the longest query Parse accepts, in bytes.
const MaxLength = 4096

// maxDepth bounds the nesting of parentheses.
const maxDepth = 32

// Query is a parsed user search query. It is immutable and safe for
// concurrent use.
type Query struct {
	root *boolNode
	text string
}

// String returns the query as given to Parse.
func (q *Query) String() string { return q.text }

// Match reports whether the stored profile document doc (a JSON object)
// matches the query. A document that is not valid JSON where the query
// reads it does not match.
func (q *Query) Match(doc []byte) bool { return q.root.match(doc) }

// Parse parses an Auth0 user search (v3) query. An empty or blank query is
// an error, as are the parts of Lucene's syntax user search does not
// support; the error is a *SyntaxError.
func Parse(s string) (*Query, error) {
	if len(s) > MaxLength {
		return nil, errorAt(1, "the query is longer than %d bytes", MaxLength)
	}
	if strings.TrimSpace(s) == "" {
		return nil, errorAt(1, "the query is empty")
	}
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	root, err := p.query(nil, 0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, errorAt(t.pos, "unexpected %s", describe(t))
	}
	return &Query{root: root, text: s}, nil
}

// parser reads tokens into a tree.
type parser struct {
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) take() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// describe names a token in an error message.
func describe(t token) string {
	if t.kind == tEOF {
		return "end of query"
	}
	return "'" + t.raw + "'"
}

// occur is how a clause takes part in a boolean query (Lucene's Occur).
type occur uint8

const (
	should occur = iota
	must
	mustNot
)

// query parses clauses up to ')' or the end. Terms side by side are
// Lucene's optional clauses (one of them must match), + makes one required
// and - or NOT prohibits one; AND binds tighter than OR and makes the terms
// it joins all required; OR joins alternatives, and NOT next to an explicit
// OR negates only its own term (so a OR NOT b is a or not b, as Auth0's
// examples use it). field is the field of an enclosing field:( ... ).
func (p *parser) query(field *field, depth int) (*boolNode, error) {
	if depth > maxDepth {
		return nil, errorAt(p.peek().pos, "parentheses nested deeper than %d", maxDepth)
	}
	var elems []elem
	for {
		t := p.peek()
		if t.kind == tEOF || t.kind == tRParen {
			break
		}
		orBefore := false
		if t.kind == tOr && len(elems) > 0 {
			p.take()
			orBefore = true
			elems[len(elems)-1].orAfter = true
		} else if t.kind == tAnd || t.kind == tOr {
			return nil, errorAt(t.pos, "%s needs a clause on its left", describe(t))
		}
		e, err := p.chain(field, depth)
		if err != nil {
			return nil, err
		}
		e.orBefore = orBefore
		elems = append(elems, e)
	}
	if len(elems) == 0 {
		return nil, errorAt(p.peek().pos, "expected a search term, found %s", describe(p.peek()))
	}
	b := &boolNode{}
	for _, e := range elems {
		n, o := e.clause()
		b.clauses, b.occurs = append(b.clauses, n), append(b.occurs, o)
	}
	return b, nil
}

// elem is one alternative of a query: a term with its modifier, or terms
// joined by AND.
type elem struct {
	node              node
	mod               tokKind // tPlus, tNot or tEOF
	orBefore, orAfter bool
}

// clause returns the elem's node and how it occurs in its query.
func (e elem) clause() (node, occur) {
	switch {
	case e.mod == tPlus:
		return e.node, must
	case e.mod == tNot && (e.orBefore || e.orAfter):
		return &boolNode{clauses: []node{e.node}, occurs: []occur{mustNot}}, should
	case e.mod == tNot:
		return e.node, mustNot
	}
	return e.node, should
}

// chain parses one modified term and the terms AND joins to it.
func (p *parser) chain(field *field, depth int) (elem, error) {
	first, err := p.unary(field, depth)
	if err != nil || p.peek().kind != tAnd {
		return first, err
	}
	b := &boolNode{}
	add := func(e elem) {
		o := must
		if e.mod == tNot {
			o = mustNot
		}
		b.clauses, b.occurs = append(b.clauses, e.node), append(b.occurs, o)
	}
	add(first)
	for p.peek().kind == tAnd {
		p.take()
		e, err := p.unary(field, depth)
		if err != nil {
			return elem{}, err
		}
		add(e)
	}
	return elem{node: b}, nil
}

// unary parses a clause with its optional modifier (+, -, !, NOT).
func (p *parser) unary(field *field, depth int) (elem, error) {
	mod := tEOF
	switch p.peek().kind {
	case tPlus:
		p.take()
		mod = tPlus
	case tNot, tMinus:
		p.take()
		mod = tNot
	}
	n, err := p.clause(field, depth)
	return elem{node: n, mod: mod}, err
}

// clause parses one clause: a group, field:value, or a bare value.
func (p *parser) clause(field *field, depth int) (node, error) {
	t := p.peek()
	switch t.kind {
	case tLParen:
		return p.group(field, depth)
	case tTerm, tTo:
		if p.toks[p.i+1].kind == tColon {
			if field != nil {
				return nil, errorAt(t.pos, "a field inside %s:( ... )", field.name)
			}
			return p.fieldClause(depth)
		}
		return p.value(field)
	case tPhrase, tLBracket, tLBrace:
		return p.value(field)
	}
	return nil, errorAt(t.pos, "expected a search term, found %s", describe(t))
}

// group parses ( query ).
func (p *parser) group(field *field, depth int) (node, error) {
	open := p.take()
	b, err := p.query(field, depth+1)
	if err != nil {
		return nil, err
	}
	if t := p.take(); t.kind != tRParen {
		return nil, errorAt(open.pos, "unclosed parenthesis")
	}
	return b, nil
}

// fieldClause parses field:value, field:( ... ) and _exists_:field.
func (p *parser) fieldClause(depth int) (node, error) {
	name := p.take()
	p.take() // ':'
	if name.text == "_exists_" {
		t := p.take()
		if t.kind != tTerm || hasWild(t) {
			return nil, errorAt(t.pos, "_exists_ needs a field name, found %s", describe(t))
		}
		f, err := lookupField(t.text, t.pos)
		if err != nil {
			return nil, err
		}
		return &existsNode{field: f}, nil
	}
	f, err := lookupField(name.text, name.pos)
	if err != nil {
		return nil, err
	}
	if p.peek().kind == tLParen {
		return p.group(f, depth)
	}
	return p.value(f)
}

// value parses a term, phrase or range, of field f (nil: the default fields).
func (p *parser) value(f *field) (node, error) {
	t := p.take()
	switch t.kind {
	case tTerm, tTo:
		return newTerm(f, t)
	case tPhrase:
		return newPhrase(f, t)
	case tLBracket, tLBrace:
		return p.rangeOf(f, t)
	}
	return nil, errorAt(t.pos, "expected a value, found %s", describe(t))
}

// rangeOf parses the rest of [a TO b] / {a TO b} after its opening bracket.
func (p *parser) rangeOf(f *field, open token) (node, error) {
	lo, err := p.bound()
	if err != nil {
		return nil, err
	}
	if t := p.take(); t.kind != tTo {
		return nil, errorAt(t.pos, "expected TO in a range, found %s", describe(t))
	}
	hi, err := p.bound()
	if err != nil {
		return nil, err
	}
	closing := p.take()
	if closing.kind != tRBracket && closing.kind != tRBrace {
		return nil, errorAt(closing.pos, "expected ] or } to close the range, found %s", describe(closing))
	}
	lo.incl, hi.incl = open.kind == tLBracket, closing.kind == tRBracket
	return newRange(f, open.pos, lo, hi)
}

// bound reads one end of a range: a term, a phrase, or * for none.
func (p *parser) bound() (bound, error) {
	t := p.take()
	switch {
	case t.kind == tTerm && t.text == "*" && hasWild(t):
		return bound{open: true, pos: t.pos}, nil
	case t.kind == tTerm && hasWild(t):
		return bound{}, errorAt(t.pos, "wildcards are not allowed in a range bound")
	case t.kind == tTerm || t.kind == tPhrase:
		return bound{text: t.text, pos: t.pos}, nil
	}
	return bound{}, errorAt(t.pos, "expected a range bound, found %s", describe(t))
}

// hasWild reports whether a term token has an unescaped '*'.
func hasWild(t token) bool {
	for _, w := range t.wild {
		if w {
			return true
		}
	}
	return false
}
