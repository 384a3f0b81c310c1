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
