package userport_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/userport/userport"
)

func TestEditDocument(t *testing.T) {
	doc := `{"created_at":"2020-01-01T00:00:00.000Z","email":"a@example.com","name":"A & B",` +
		`"picture":"https://x.example/a.png?s=1&d=mp","user_id":"auth0|1","user_metadata":{"z":1,"a":"\u0026"},"username":"a"}`
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	tests := []struct {
		name  string
		edits []userport.Member
		want  string
	}{
		{"nothing", nil, doc},
		{"replace in place", []userport.Member{{Key: "name", Value: raw(`"C"`)}},
			`{"created_at":"2020-01-01T00:00:00.000Z","email":"a@example.com","name":"C",` +
				`"picture":"https://x.example/a.png?s=1&d=mp","user_id":"auth0|1","user_metadata":{"z":1,"a":"\u0026"},"username":"a"}`},
		{"remove", []userport.Member{{Key: "username"}, {Key: "absent"}},
			`{"created_at":"2020-01-01T00:00:00.000Z","email":"a@example.com","name":"A & B",` +
				`"picture":"https://x.example/a.png?s=1&d=mp","user_id":"auth0|1","user_metadata":{"z":1,"a":"\u0026"}}`},
		{"new keys at Auth0's place", []userport.Member{{Key: "last_password_reset", Value: raw(`"t"`)},
			{Key: "blocked", Value: raw(`true`)}, {Key: "given_name", Value: raw(`"G"`)}, {Key: "app_metadata", Value: raw(`{"p":1}`)}},
			`{"blocked":true,"created_at":"2020-01-01T00:00:00.000Z","email":"a@example.com","given_name":"G","name":"A & B",` +
				`"picture":"https://x.example/a.png?s=1&d=mp","user_id":"auth0|1","user_metadata":{"z":1,"a":"\u0026"},"username":"a",` +
				`"last_password_reset":"t","app_metadata":{"p":1}}`},
	}
	for _, tt := range tests {
		got, err := userport.EditDocument([]byte(doc), tt.edits...)
		if err != nil || string(got) != tt.want {
			t.Errorf("%s: %s, %v\nwant %s", tt.name, got, err, tt.want)
		}
	}
	if _, err := userport.EditDocument([]byte(`[1]`)); err == nil {
		t.Error("EditDocument of an array: no error")
	}
}

func TestMergeObject(t *testing.T) {
	tests := []struct{ old, patch, want string }{
		{`{"facts":["a"]}`, `{"foo":"bar"}`, `{"facts":["a"],"foo":"bar"}`}, // as Auth0 answered (recorded)
		{`{"a":1,"b":"x&y"}`, `{"a":null}`, `{"b":"x&y"}`},
		{`{"a":1,"b":2}`, `{"b":3,"a":4}`, `{"a":4,"b":3}`},
		{`{"a":1}`, `{"a":null}`, ``},
		{`{"a":1}`, `{}`, ``},
		{``, `{"n":{"d":[1, 2]}}`, `{"n":{"d":[1, 2]}}`},
	}
	for _, tt := range tests {
		got, err := userport.MergeObject(json.RawMessage(tt.old), json.RawMessage(tt.patch))
		if err != nil || string(got) != tt.want {
			t.Errorf("MergeObject(%s, %s) = %s, %v; want %s", tt.old, tt.patch, got, err, tt.want)
		}
	}
}

func TestAttributeCheckString(t *testing.T) {
	tests := []struct {
		key, value, code string
	}{
		{"email", "a@b.co", ""},
		{"email", "not-an-email", userport.ImportInvalidFormat},
		{"email", "", userport.ImportMinLength},
		{"name", string(make([]rune, 301)), userport.ImportMaxLength},
		{"name", string(make([]rune, 300)), ""},
		{"picture", "javascript:alert(1)", userport.ImportInvalidFormat},
		{"last_ip", "2a02:1:2::3", ""},
		{"last_ip", "300.1.1.1", userport.ImportInvalidFormat},
		{"phone_number", "+1234567890123456789012345678901", userport.ImportMaxLength},
	}
	for _, tt := range tests {
		a, ok := userport.ProfileAttribute(tt.key)
		if !ok {
			t.Fatalf("no attribute %s", tt.key)
		}
		is := a.CheckString(tt.value)
		if got := ""; is != nil {
			got = is.Code
			if got != tt.code {
				t.Errorf("%s %q: %s (%s), want %q", tt.key, tt.value, got, is.Message, tt.code)
			}
		} else if tt.code != "" {
			t.Errorf("%s %q: fits, want %s", tt.key, tt.value, tt.code)
		}
	}
}

func TestDatabaseUserID(t *testing.T) {
	tests := []struct{ given, want, code string }{
		{"abc", "auth0|abc", ""},
		{"auth0|abc", "auth0|abc", ""},
		{"a|b", "", userport.ImportPattern},
		{"auth0|a b", "", userport.ImportPattern},
		{"auth0|", "", userport.ImportPattern},
		{"auth0|a|b", "", userport.ImportPattern},
		{"google-oauth2|123", "", userport.ImportPattern},
		{"", "", userport.ImportMinLength},
		// The length is the whole user_id's, however it was given.
		{strings.Repeat("a", 249), "auth0|" + strings.Repeat("a", 249), ""},
		{"auth0|" + strings.Repeat("a", 249), "auth0|" + strings.Repeat("a", 249), ""},
		{strings.Repeat("a", 250), "", userport.ImportMaxLength},
		{"auth0|" + strings.Repeat("a", 250), "", userport.ImportMaxLength},
	}
	for _, tt := range tests {
		got, is := userport.DatabaseUserID(tt.given)
		code := ""
		if is != nil {
			code = is.Code
		}
		if got != tt.want || code != tt.code {
			t.Errorf("DatabaseUserID(%q) = %q, %v; want %q, %s", tt.given, got, is, tt.want, tt.code)
		}
	}
}

// TestCheckUserID: a path's user_id is checked by the rule and message of
// DatabaseUserID (issue 20: the path allowed 300 characters, and its message
// showed another pattern than the one it tested).
func TestCheckUserID(t *testing.T) {
	tests := []struct{ id, code, message string }{
		{"auth0|abc", "", ""},
		{"google-oauth2|123", "", ""},
		{"auth0|" + strings.Repeat("a", 249), "", ""},
		{"nopipe", userport.ImportPattern, "String does not match pattern ^[^|\\s]+\\|[^|\\s]+$: nopipe"},
		{"auth0|", userport.ImportPattern, "String does not match pattern ^[^|\\s]+\\|[^|\\s]+$: auth0|"},
		{"|abc", userport.ImportPattern, "String does not match pattern ^[^|\\s]+\\|[^|\\s]+$: |abc"},
		{"auth0|a b", userport.ImportPattern, "String does not match pattern ^[^|\\s]+\\|[^|\\s]+$: auth0|a b"},
		{"samlp|c|u", userport.ImportPattern, "String does not match pattern ^[^|\\s]+\\|[^|\\s]+$: samlp|c|u"},
		{"auth0|" + strings.Repeat("a", 250), userport.ImportMaxLength, "String is too long (256 chars), maximum 255"},
		{"auth0|" + strings.Repeat("a", 294), userport.ImportMaxLength, "String is too long (300 chars), maximum 255"},
	}
	for _, tt := range tests {
		var code, message string
		if is := userport.CheckUserID(tt.id); is != nil {
			code, message = is.Code, is.Message
		}
		if code != tt.code || message != tt.message {
			t.Errorf("CheckUserID(%.40q) = %s %q, want %s %q", tt.id, code, message, tt.code, tt.message)
		}
		if is := userport.CheckUserID(tt.id); is != nil && strings.HasPrefix(tt.id, "auth0|") {
			if _, db := userport.DatabaseUserID(tt.id); db == nil || *db != *is {
				t.Errorf("DatabaseUserID(%.40q) = %v, want the same issue as CheckUserID's", tt.id, db)
			}
		}
	}
}

func TestSelectMembers(t *testing.T) {
	doc := `{"email":"a@b.co","picture":"https://x/?a&b","user_id":"auth0|1","app_metadata":{"x":"\u0026"}}`
	tests := []struct {
		keys    []string
		include bool
		want    string
	}{
		{[]string{"user_id", "email"}, true, `{"email":"a@b.co","user_id":"auth0|1"}`},
		{[]string{"user_id", "email"}, false, `{"picture":"https://x/?a&b","app_metadata":{"x":"\u0026"}}`},
		{[]string{"nope"}, true, `{}`},
		{nil, false, doc},
	}
	for _, tt := range tests {
		got, err := userport.SelectMembers([]byte(doc), tt.keys, tt.include)
		if err != nil || string(got) != tt.want {
			t.Errorf("SelectMembers(%v, %v) = %s, %v; want %s", tt.keys, tt.include, got, err, tt.want)
		}
	}
}

// FuzzEditDocument: any JSON object survives an edit: the result is a valid
// object with the edit made, every other member as it was.
func FuzzEditDocument(f *testing.F) {
	f.Add([]byte(`{"email":"a@b.co","user_metadata":{"a":"&"}}`), "name", []byte(`"x"`))
	f.Add([]byte(`{}`), "blocked", []byte(`true`))
	f.Add([]byte(`{"a":1,"a":2}`), "a", []byte(nil))
	f.Add([]byte(`[1]`), "k", []byte(`1`))
	f.Fuzz(func(t *testing.T, doc []byte, key string, value []byte) {
		if len(value) > 0 && !json.Valid(value) {
			return
		}
		out, err := userport.EditDocument(doc, userport.Member{Key: key, Value: value})
		var before map[string]json.RawMessage
		if json.Unmarshal(doc, &before) != nil {
			return // not an object: an error or whatever EditDocument makes of it, never a panic
		}
		if err != nil {
			return // a decoder's stricter reading (duplicate keys are kept as found)
		}
		var after map[string]json.RawMessage
		if err := json.Unmarshal(out, &after); err != nil {
			t.Fatalf("EditDocument(%s) = %s: not an object: %v", doc, out, err)
		}
		if _, ok := after[key]; ok != (len(value) > 0) {
			t.Fatalf("EditDocument(%s, %q=%s) = %s", doc, key, value, out)
		}
	})
}
