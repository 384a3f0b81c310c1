package userport_test

import (
	"strings"
	"testing"

	"github.com/userport/userport"
)

func TestExcerpt(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"con_123", "con_123"},
		{strings.Repeat("a", 32), strings.Repeat("a", 32)},
		{strings.Repeat("a", 33), strings.Repeat("a", 32) + "…"},
		{strings.Repeat("a", 10<<10), strings.Repeat("a", 32) + "…"},
		{strings.Repeat("ü", 40), strings.Repeat("ü", 32) + "…"}, // cut between characters, not bytes
	}
	for _, tt := range tests {
		if got := userport.Excerpt(tt.in); got != tt.want {
			t.Errorf("Excerpt(%d bytes) = %q, want %q", len(tt.in), got, tt.want)
		}
	}
}
