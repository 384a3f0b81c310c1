// Package profiletest isolates tests from the user's saved profile.
package profiletest

import "testing"

// Isolate points the user's configuration directory (where `userport
// login` saves its profile) at a new, empty temporary directory for the
// rest of the test, and returns it. Like t.Setenv, it is not for parallel
// tests.
func Isolate(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for _, v := range []string{"XDG_CONFIG_HOME", "HOME", "AppData"} {
		t.Setenv(v, dir)
	}
	return dir
}
