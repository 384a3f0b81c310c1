package userport_test

import (
	"testing"

	"github.com/userport/userport"
)

func TestValidPicture(t *testing.T) {
	tests := []struct {
		picture string
		want    bool
	}{
		{"https://s.gravatar.com/avatar/abc?s=480&r=pg&d=mp", true},
		{"http://example.com/a.png", true},
		{"HTTPS://EXAMPLE.COM/a.png", true},
		{"https://example.com:8443/a%20b.png", true},
		{"javascript:alert(1)", false},
		{"JavaScript://example.com/%0aalert(1)", false},
		{"data:image/png;base64,iVBORw0KGgo=", false},
		{"file:///etc/passwd", false},
		{"ftp://example.com/a.png", false},
		{"//example.com/a.png", false},
		{"/a.png", false},
		{"a.png", false},
		{"https://", false},
		{"https:example.com", false},
		{"https://example.com/a b.png", false},
		{"https://exa mple.com/", false},
		{"https://example.com/\x00", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := userport.ValidPicture(tt.picture); got != tt.want {
			t.Errorf("ValidPicture(%q) = %v, want %v", tt.picture, got, tt.want)
		}
	}
}
