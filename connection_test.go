package userport_test

import (
	"strings"
	"testing"

	"github.com/userport/userport"
)

func TestCheckConnectionName(t *testing.T) {
	tests := []struct{ name, code string }{
		{userport.DefaultConnectionName, ""},
		{"a", ""},
		{"db-2", ""},
		{strings.Repeat("n", userport.MaxConnectionNameLength), ""},
		{strings.Repeat("n", userport.MaxConnectionNameLength+1), userport.ImportMaxLength},
		{"", userport.ImportMinLength},
		{"bad name", userport.ImportPattern},
		{"-x", userport.ImportPattern},
		{"x-", userport.ImportPattern},
		{"a_b", userport.ImportPattern},
		{"é", userport.ImportPattern},
	}
	for _, tt := range tests {
		code := ""
		if is := userport.CheckConnectionName(tt.name); is != nil {
			code = is.Code
			if is.Code == userport.ImportPattern && is.Message != "String does not match pattern "+userport.ConnectionNamePattern+": "+userport.Excerpt(tt.name) {
				t.Errorf("CheckConnectionName(%q) message %q", tt.name, is.Message)
			}
		}
		if code != tt.code {
			t.Errorf("CheckConnectionName(%.20q) = %q, want %q", tt.name, code, tt.code)
		}
	}
}
