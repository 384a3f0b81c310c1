package search_test

import (
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/userport/userport/search"
)

// FuzzParse checks that Parse never panics, that every error is a
// SyntaxError whose position lies within the query (or just past its end),
// and that a parsed query matches documents, valid or not, without
// panicking.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`email:"jane@example.com"`, `name:john*`, `name:*usa`, `name:jane*smith`, `email:(a OR b)`,
		`logins_count:[100 TO 200}`, `created_at:[2020-01-01 TO *]`, `last_login:{2017-11 TO 2017-12]`,
		`_exists_:email`, `NOT _exists_:logins_count OR logins_count:0`, `+a -b !c`, `a && b || c`,
		`user_metadata.plan:"gold"`, `identities.connection:"x"`, `(a AND (b OR (c)))`, `email:"abc`,
		`name:Jane\ Smith`, `é:x`, `email.domain:example.com`, `created_at:2020-01-02T10:20`, `[a TO b]`,
		`a:b:c`, `\`, `"\"`, `((((`, `))))`, `email:*`, `AND`, `x:y~`, `-`, `+ -`, `TO`, `a TO b`,
	} {
		f.Add(s)
	}
	docs := [][]byte{[]byte(doc), []byte(`{`), []byte(`[]`), []byte(`{"email":3,"identities":{"connection":1},"created_at":"x"}`), nil}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := search.Parse(s)
		if err != nil {
			var se *search.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): %v is not a SyntaxError", s, err)
			}
			if se.Pos < 1 || se.Pos > utf8.RuneCountInString(s)+1 {
				t.Fatalf("Parse(%q): position %d outside the query", s, se.Pos)
			}
			return
		}
		if q.String() != s {
			t.Fatalf("Parse(%q).String() = %q", s, q.String())
		}
		for _, d := range docs {
			q.Match(d)
		}
	})
}
