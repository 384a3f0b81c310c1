package search_test

import (
	"errors"
	"testing"

	"github.com/userport/userport/search"
)

// doc is the profile the match tests search.
const doc = `{"user_id":"auth0|5f1a2b3c4d5e6f7a8b9c0d1e","email":"Jane.Smith@Example.com","email_verified":false,
"name":"Jane Smith","given_name":"Jane","family_name":"Smith","nickname":"jane","username":"jsmith",
"created_at":"2020-03-15T10:20:30.400Z","updated_at":"2021-01-01T00:00:00.000Z","last_login":"2017-12-31T23:00:00.000Z",
"logins_count":150,"blocked":false,"identities":[{"connection":"Username-Password-Authentication","provider":"auth0","user_id":"5f1a","isSocial":false},
{"connection":"google-oauth2","provider":"google-oauth2","user_id":"109","isSocial":true}],
"user_metadata":{"plan":"gold","tags":["a","b"],"addresses":[{"city":"Paris"},{"city":"Lyon"}],"full_name":"John Smith","empty":[],"nothing":null},
"app_metadata":{"subscription":{"plan":"pro"},"count":3,"flag":true}}`

func TestMatch(t *testing.T) {
	tests := []struct {
		q    string
		want bool
	}{
		{`email:"jane.smith@example.com"`, true},
		{`email:JANE.SMITH@EXAMPLE.COM`, true},
		{`email:jane*`, true},
		{`email:*example.com`, true},
		{`email.domain:example.com`, true},
		{`email.domain:EXAMPLE.COM`, true},
		{`name:"jane smith"`, true},
		{`name:jane`, false},
		{`name:jane*smith`, true},
		{`name:*smi*`, true},
		{`username:JSMITH`, false},
		{`username:jsmith`, true},
		{`user_id:auth0*`, true},
		{`user_id:auth0`, false},
		{`user_metadata.plan:gold`, true},
		{`user_metadata.plan:Gold`, false},
		{`user_metadata.tags:b`, true},
		{`user_metadata.addresses.city:"Lyon"`, true},
		{`user_metadata.full_name:"John Smith"`, true},
		{`app_metadata.subscription.plan:"pro"`, true},
		{`app_metadata.count:3`, true},
		{`app_metadata.flag:true`, true},
		{`identities.connection:"Username-Password-Authentication"`, true},
		{`identities.connection:"google-oauth2"`, false},
		{`identities.provider:google-oauth2`, true},
		{`logins_count:150`, true},
		{`logins_count:[100 TO 200]`, true},
		{`logins_count:{150 TO *]`, false},
		{`logins_count:[150 TO *]`, true},
		{`created_at:[2020-01-01 TO *]`, true},
		{`created_at:[* TO 2020-03-15}`, false},
		{`created_at:[* TO 2020-03-15]`, true},
		{`created_at:2020-03`, true},
		{`created_at:2020`, true},
		{`last_login:{2017-11 TO 2017-12]`, true},
		{`last_login:[2017-12-01 TO 2017-12-31]`, true},
		{`last_login:[* TO 2017-12-31}`, false},
		{`email_verified:false`, true},
		{`email_verified:"false"`, true},
		{`email_verified:false OR NOT _exists_:email_verified`, true},
		{`_exists_:last_login`, true},
		{`_exists_:user_metadata.empty`, false},
		{`_exists_:user_metadata.nothing`, false},
		{`_exists_:user_metadata.plan`, true},
		{`NOT _exists_:logins_count OR logins_count:0`, false},
		{`jsmith`, true},
		{`JANE.SMITH@example.com`, true},
		{`gold`, false},
		{`name:jane AND email:jane*`, false},
		{`name:jane OR email:jane*`, true},
		{`name:jane email:jane*`, true},
		{`email:jane* -blocked:false`, false},
		{`email:jane* NOT blocked:true`, true},
		{`email:jane* AND NOT blocked:true`, true},
		{`+email:jane* +blocked:true`, false},
		{`email:("a@b.co" OR "jane.smith@example.com")`, true},
		{`(name:x OR name:"jane smith") AND logins_count:[100 TO 200}`, true},
		{`NOT name:x`, true},
		{`name:Jane\ Smith`, true},
		{`name:x OR (NOT blocked:true AND user_metadata.plan:gold)`, true},
		{`blocked:*`, true},
		{`phone_number:*`, false},
	}
	for _, tt := range tests {
		q, err := search.Parse(tt.q)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.q, err)
			continue
		}
		if got := q.Match([]byte(doc)); got != tt.want {
			t.Errorf("Parse(%q).Match = %v, want %v", tt.q, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		q   string
		pos int
		msg string
	}{
		{``, 1, "the query is empty"},
		{`   `, 1, "the query is empty"},
		{`email:"abc`, 7, "unclosed quote"},
		{`(email:a`, 1, "unclosed parenthesis"},
		{`email:a)`, 8, "unexpected ')'"},
		{`email:`, 7, "expected a value, found end of query"},
		{`AND email:a`, 1, "'AND' needs a clause on its left"},
		{`email:a AND`, 12, "expected a search term, found end of query"},
		{`for:the horde`, 1, "filter can not be used with unknown field: for"},
		{`logins_count:[1 TO`, 19, "expected a range bound, found end of query"},
		{`logins_count:[1 2]`, 17, "expected TO in a range, found '2'"},
		{`logins_count:[1 TO 2)`, 21, "expected ] or } to close the range, found ')'"},
		{`name:*sa`, 6, "a term that starts with * needs at least 3 other characters"},
		{`name:jo?n`, 8, "the ? wildcard is not supported (use *)"},
		{`user_metadata.plan:gol*`, 20, "wildcards are not allowed on metadata fields (user_metadata.plan)"},
		{`app_metadata.count:[1 TO 2]`, 20, "ranges are not allowed on metadata fields (app_metadata.count)"},
		{`created_at:[yesterday TO *]`, 13, `"yesterday" is not a date (2020, 2020-01, 2020-01-31, 2020-01-31T10:00, ...)`},
		{`name:jane~`, 10, "boosts and fuzzy searches (~) are not supported"},
		{`é:x`, 1, "filter can not be used with unknown field: é"},
		{`name:"é" AND é:x`, 14, "filter can not be used with unknown field: é"},
		{`[a TO b]`, 1, "a range needs a field"},
		{`email:a\`, 8, "nothing to escape at the end of the query"},
		{`_exists_:*`, 10, "_exists_ needs a field name, found '*'"},
		{`email:(name:x)`, 8, "a field inside email:( ... )"},
	}
	for _, tt := range tests {
		_, err := search.Parse(tt.q)
		var se *search.SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) = %v, want a SyntaxError", tt.q, err)
			continue
		}
		if se.Pos != tt.pos || se.Msg != tt.msg {
			t.Errorf("Parse(%q): position %d %q, want %d %q", tt.q, se.Pos, se.Msg, tt.pos, tt.msg)
		}
	}
}
