package auth_test

import (
	"slices"
	"testing"

	"github.com/userport/userport/auth"
)

func TestAllScopes(t *testing.T) {
	want := []string{"read:users", "create:users", "update:users", "delete:users",
		"read:connections", "create:connections", "update:connections", "delete:connections", "read:clients",
		"create:job_webhooks", "read:job_webhooks", "update:job_webhooks", "delete:job_webhooks"}
	if got := auth.AllScopes(); !slices.Equal(got, want) {
		t.Errorf("AllScopes() = %q, want %q", got, want)
	}
	auth.AllScopes()[0] = "changed"
	if auth.AllScopes()[0] != "read:users" {
		t.Error("AllScopes shares its slice between calls")
	}
	for _, s := range want {
		if !auth.KnownScope(s) {
			t.Errorf("KnownScope(%q) = false", s)
		}
	}
	for _, s := range []string{"", "read:user", "READ:USERS", "read:users ", "openid"} {
		if auth.KnownScope(s) {
			t.Errorf("KnownScope(%q) = true", s)
		}
	}
}

func TestParseScope(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   ", nil},
		{"read:users", []string{"read:users"}},
		{"read:users create:users", []string{"read:users", "create:users"}},
		{"  read:users\tcreate:users\n", []string{"read:users", "create:users"}},
		{"read:users read:users create:users read:users", []string{"read:users", "create:users"}},
		{"b a b", []string{"b", "a"}},
	}
	for _, tt := range tests {
		if got := auth.ParseScope(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("ParseScope(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHasAny(t *testing.T) {
	granted := []string{"read:users", "create:users"}
	tests := []struct {
		granted []string
		want    []string
		ok      bool
	}{
		{granted, []string{"read:users"}, true},
		{granted, []string{"delete:users", "create:users"}, true},
		{granted, []string{"delete:users"}, false},
		{granted, nil, false},
		{nil, []string{"read:users"}, false},
		{granted, []string{"read:user"}, false},
	}
	for _, tt := range tests {
		if got := auth.HasAny(tt.granted, tt.want...); got != tt.ok {
			t.Errorf("HasAny(%q, %q) = %v, want %v", tt.granted, tt.want, got, tt.ok)
		}
	}
}

func TestMissing(t *testing.T) {
	granted := []string{"read:users", "create:users"}
	tests := []struct {
		want, missing []string
	}{
		{nil, nil},
		{[]string{"read:users"}, nil},
		{[]string{"create:users", "read:users"}, nil},
		{[]string{"delete:users", "read:users", "delete:users", "update:users"}, []string{"delete:users", "update:users"}},
	}
	for _, tt := range tests {
		if got := auth.Missing(granted, tt.want); !slices.Equal(got, tt.missing) {
			t.Errorf("Missing(%q) = %q, want %q", tt.want, got, tt.missing)
		}
	}
}
