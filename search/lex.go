package search

import (
	"strings"
	"unicode/utf8"
)

// tokKind is the kind of a token.
type tokKind uint8

const (
	tEOF    tokKind = iota
	tTerm           // a word, possibly with wildcards
	tPhrase         // a "quoted phrase"
	tColon
	tLParen
	tRParen
	tLBracket // [
	tRBracket // ]
	tLBrace   // {
	tRBrace   // }
	tAnd      // AND, &&
	tOr       // OR, ||
	tNot      // NOT, !
	tPlus     // +
	tMinus    // -
	tTo       // TO
)

// token is one token of a query. For terms, text is the unescaped text and
// wild marks each byte of text that is an unescaped '*'.
type token struct {
	kind tokKind
	text string
	wild []bool
	pos  int // 1-based character position of the token's first character
	raw  string
}

// lexer splits a query into tokens.
type lexer struct {
	src  string
	i    int // byte offset
	toks []token
}

// specials end a term unless escaped.
const specials = " \t\r\n()[]{}:\"^~"

// lex returns the tokens of src, ending with tEOF.
func lex(src string) ([]token, error) {
	l := &lexer{src: src}
	for {
		l.skipSpace()
		if l.i >= len(src) {
			l.toks = append(l.toks, token{kind: tEOF, pos: l.pos(l.i)})
			return l.toks, nil
		}
		if err := l.next(); err != nil {
			return nil, err
		}
	}
}

// pos is the 1-based character position of byte offset i.
func (l *lexer) pos(i int) int { return utf8.RuneCountInString(l.src[:i]) + 1 }

func (l *lexer) skipSpace() {
	for l.i < len(l.src) && strings.IndexByte(" \t\r\n", l.src[l.i]) >= 0 {
		l.i++
	}
}

// single are the one-character tokens.
var single = map[byte]tokKind{':': tColon, '(': tLParen, ')': tRParen, '[': tLBracket, ']': tRBracket,
	'{': tLBrace, '}': tRBrace, '!': tNot}

func (l *lexer) emit(kind tokKind, start, end int) {
	l.toks = append(l.toks, token{kind: kind, pos: l.pos(start), raw: l.src[start:end], text: l.src[start:end]})
	l.i = end
}

// next reads one token at l.i.
func (l *lexer) next() error {
	c, start := l.src[l.i], l.i
	switch {
	case strings.HasPrefix(l.src[l.i:], "&&"):
		l.emit(tAnd, start, start+2)
	case strings.HasPrefix(l.src[l.i:], "||"):
		l.emit(tOr, start, start+2)
	case single[c] != 0:
		l.emit(single[c], start, start+1)
	case c == '+' || c == '-':
		if l.startsTerm() {
			l.emit(map[byte]tokKind{'+': tPlus, '-': tMinus}[c], start, start+1)
			return nil
		}
		return l.term()
	case c == '"':
		return l.phrase()
	case c == '^' || c == '~':
		return errorAt(l.pos(start), "boosts and fuzzy searches (%c) are not supported", c)
	default:
		return l.term()
	}
	return nil
}

// startsTerm reports whether a '+' or '-' at l.i is a prefix operator: it is
// at the start of a clause and followed by something.
func (l *lexer) startsTerm() bool {
	if l.i+1 >= len(l.src) || strings.IndexByte(" \t\r\n", l.src[l.i+1]) >= 0 {
		return false
	}
	if len(l.toks) == 0 {
		return true
	}
	switch l.toks[len(l.toks)-1].kind {
	case tLParen, tAnd, tOr, tNot, tPlus, tMinus:
		return true
	}
	return l.i > 0 && strings.IndexByte(" \t\r\n", l.src[l.i-1]) >= 0
}

// phrase reads a quoted phrase; \ escapes the next character.
func (l *lexer) phrase() error {
	start := l.i
	var b strings.Builder
	for i := l.i + 1; i < len(l.src); i++ {
		switch l.src[i] {
		case '\\':
			if i+1 >= len(l.src) {
				return errorAt(l.pos(i), "nothing to escape at the end of the query")
			}
			i++
			b.WriteByte(l.src[i])
		case '"':
			l.toks = append(l.toks, token{kind: tPhrase, text: b.String(), pos: l.pos(start), raw: l.src[start : i+1]})
			l.i = i + 1
			return nil
		default:
			b.WriteByte(l.src[i])
		}
	}
	return errorAt(l.pos(start), "unclosed quote")
}

// term reads a word up to the next unescaped special character.
func (l *lexer) term() error {
	start := l.i
	var b []byte
	var wild []bool
	i := l.i
	// A value (after field: or in a range) may hold ':' (2020-01-02T10:20).
	value := false
	if n := len(l.toks); n > 0 {
		k := l.toks[n-1].kind
		value = k == tColon || k == tLBracket || k == tLBrace || k == tTo
	}
	for ; i < len(l.src) && (strings.IndexByte(specials, l.src[i]) < 0 || (value && l.src[i] == ':')); i++ {
		c := l.src[i]
		switch {
		case c == '\\':
			if i+1 >= len(l.src) {
				return errorAt(l.pos(i), "nothing to escape at the end of the query")
			}
			i++
			b, wild = append(b, l.src[i]), append(wild, false)
		case c == '?':
			return errorAt(l.pos(i), "the ? wildcard is not supported (use *)")
		default:
			b, wild = append(b, c), append(wild, c == '*')
		}
	}
	text := l.src[start:i]
	kind := tTerm
	switch text {
	case "AND":
		kind = tAnd
	case "OR":
		kind = tOr
	case "NOT":
		kind = tNot
	case "TO":
		kind = tTo
	}
	l.toks = append(l.toks, token{kind: kind, text: string(b), wild: wild, pos: l.pos(start), raw: text})
	l.i = i
	return nil
}
