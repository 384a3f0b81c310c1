// Package profile keeps the server and credentials `userport login` saved
// for the client commands, in the user's configuration directory
// (os.UserConfigDir()/userport/profile.json, mode 0600), until `userport
// logout` removes them.
package profile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Profile is a saved server and the client credentials to use with it.
type Profile struct {
	URL          string `json:"url"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// Path is where the profile is kept: userport/profile.json in the user's
// configuration directory ($XDG_CONFIG_HOME or ~/.config on Linux).
func Path() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the user's configuration directory: %w", err)
	}
	return filepath.Join(dir, "userport", "profile.json"), nil
}

// Load reads the saved profile; the error wraps os.ErrNotExist when there
// is none.
func Load() (*Profile, string, error) {
	path, err := Path()
	if err != nil { // no configuration directory: no profile either
		return nil, "", fmt.Errorf("%w: %w", err, os.ErrNotExist)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, path, fmt.Errorf("read the profile: %w", err)
	}
	var p Profile
	if err := json.Unmarshal(data, &p); err != nil || p.URL == "" || p.ClientID == "" || p.ClientSecret == "" {
		return nil, path, fmt.Errorf("%s holds no url, client_id and client_secret: run `userport login` again, or `userport logout`", path)
	}
	return &p, path, nil
}

// Save writes p as the profile (mode 0600, its directory 0700), replacing
// any, and returns where.
func Save(p Profile) (string, error) {
	path, err := Path()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("save the profile: %w", err)
	}
	data, _ := json.MarshalIndent(p, "", "  ")
	tmp, err := os.CreateTemp(filepath.Dir(path), ".profile-*.tmp") // mode 0600
	if err != nil {
		return "", fmt.Errorf("save the profile: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(append(data, '\n'))
	if err = errors.Join(err, tmp.Close()); err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return "", fmt.Errorf("save the profile: %w", err)
	}
	return path, nil
}

// Remove deletes the saved profile and returns where it was; removed is
// false when there was none.
func Remove() (path string, removed bool, err error) {
	if path, err = Path(); err != nil {
		return "", false, err
	}
	err = os.Remove(path)
	if errors.Is(err, os.ErrNotExist) {
		return path, false, nil
	} else if err != nil {
		return path, false, fmt.Errorf("remove the profile: %w", err)
	}
	return path, true, nil
}
