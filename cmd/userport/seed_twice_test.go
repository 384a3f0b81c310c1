package main

import (
	"bytes"
	"context"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestSeedTwice: a second seed adds fresh users to those of the first and
// says how many the store holds (issue 25, case 4).
func TestSeedTwice(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--users", "300"}, `^seeded 300 users into Username-Password-Authentication in `},
		{[]string{"--users", "200"}, `^added 200 users to Username-Password-Authentication in .*; the store now holds 500 users of tenant dev\n$`},
		{[]string{"--users", "100", "--seed", "9", "--connection", "Other"}, `^added 100 users to Other in .*; the store now holds 600 users of tenant dev\n$`},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		args := append([]string{"seed", "--data-dir", dir, "--quiet"}, tt.args...)
		if err := run(context.Background(), args, &out, &errb); err != nil {
			t.Fatalf("userport %q: %v; stderr: %s", args, err, errb.String())
		}
		if !regexp.MustCompile(tt.want).MatchString(out.String()) {
			t.Errorf("userport %q: stdout %q, want %s", args, out.String(), tt.want)
		}
	}
}

// TestStoreErrorIsASentence: the process prints a store's error by its
// message, never as "code=... detail=... message=..." (issue 25, case 4).
func TestStoreErrorIsASentence(t *testing.T) {
	t.Parallel()
	bin := buildUserport(t)
	out, err := exec.Command(bin, "seed", "--data-dir", t.TempDir(), "--quiet", "--connection", "no spaces allowed").CombinedOutput()
	want := "userport: Connection name no spaces allowed: String does not match pattern "
	if err == nil || !strings.HasPrefix(string(out), want) || strings.Contains(string(out), "code=") {
		t.Errorf("userport seed --connection 'no spaces allowed': %v, output %q; want it to start with %q", err, out, want)
	}
}
