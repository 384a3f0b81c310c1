package userport_test

import (
	"strings"
	"testing"

	"github.com/userport/userport"
)

func TestCheckLength(t *testing.T) {
	tests := []struct {
		s             string
		max           int
		code, message string
	}{
		{"a", 1, "", ""},
		{"ééé", 3, "", ""}, // characters, not bytes
		{"", 10, userport.ImportMinLength, "String is too short (0 chars), minimum 1"},
		{"éééé", 3, userport.ImportMaxLength, "String is too long (4 chars), maximum 3"},
		{strings.Repeat("x", 10000), 0, "", ""},
	}
	for _, tt := range tests {
		var code, message string
		if is := userport.CheckLength(tt.s, tt.max); is != nil {
			code, message = is.Code, is.Message
		}
		if code != tt.code || message != tt.message {
			t.Errorf("CheckLength(%.20q, %d) = %s %q, want %s %q", tt.s, tt.max, code, message, tt.code, tt.message)
		}
	}
}

func TestJSONType(t *testing.T) {
	tests := []struct {
		raw  string
		want userport.AttrType
	}{
		{`"x"`, userport.TypeString}, {` {"a":1}`, userport.TypeObject}, {`[]`, userport.TypeArray},
		{`true`, userport.TypeBoolean}, {`false`, userport.TypeBoolean}, {`null`, userport.TypeNull},
		{``, userport.TypeNull}, {" \n", userport.TypeNull}, {`42`, userport.TypeInteger}, {`-1`, userport.TypeInteger},
		{`1.5`, userport.TypeNumber}, {`1e3`, userport.TypeNumber}, {`2E-1`, userport.TypeNumber},
	}
	for _, tt := range tests {
		if got := userport.JSONType([]byte(tt.raw)); got != tt.want {
			t.Errorf("JSONType(%q) = %s, want %s", tt.raw, got, tt.want)
		}
	}
}
