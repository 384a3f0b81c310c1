package profile_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/userport/userport/internal/profile"
	"github.com/userport/userport/internal/profile/profiletest"
)

// TestSaveLoadRemove: a saved profile is read back, mode 0600, in the
// configuration directory; logout removes it; none is os.ErrNotExist.
func TestSaveLoadRemove(t *testing.T) {
	dir := profiletest.Isolate(t)
	if _, _, err := profile.Load(); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load with none = %v, want os.ErrNotExist", err)
	}
	want := profile.Profile{URL: "http://127.0.0.1:23456", ClientID: "id", ClientSecret: "secret"}
	path, err := profile.Save(want)
	if err != nil {
		t.Fatal(err)
	}
	if rel, _ := filepath.Rel(dir, path); rel != filepath.Join("userport", "profile.json") && rel != filepath.Join(".config", "userport", "profile.json") {
		t.Errorf("saved at %s, want under %s", path, dir)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v; want 0600", fi, err)
	}
	got, gotPath, err := profile.Load()
	if err != nil || *got != want || gotPath != path {
		t.Fatalf("Load = %+v, %s, %v; want %+v", got, gotPath, err, want)
	}
	for i, wantRemoved := range []bool{true, false} {
		if _, removed, err := profile.Remove(); err != nil || removed != wantRemoved {
			t.Errorf("Remove #%d = %v, %v; want %v", i+1, removed, err, wantRemoved)
		}
	}
}

// TestLoadRefusesBadFile: a profile that holds no server or credentials is
// an error naming the file and what to do.
func TestLoadRefusesBadFile(t *testing.T) {
	profiletest.Isolate(t)
	path, err := profile.Save(profile.Profile{URL: "http://h"})
	if err != nil {
		t.Fatal(err)
	}
	for _, content := range []string{"", "{", `{"url":"http://h"}`, `[]`} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := profile.Load(); err == nil || errors.Is(err, os.ErrNotExist) {
			t.Errorf("%q: Load = %v, want a refusal", content, err)
		}
	}
}
