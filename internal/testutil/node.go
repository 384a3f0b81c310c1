package testutil

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// NodePackage returns the sdktest directory (beside the module's go.mod)
// when node is on PATH and the npm package pkg is installed there, at
// version if it is not empty. Otherwise it skips t, naming what (the check
// that needs the package), or fails t when USERPORT_TEST_NODE_SDK=1 (CI
// sets it after `npm ci` in sdktest/).
func NodePackage(t testing.TB, what, pkg, version string) string {
	t.Helper()
	dir, err := sdktestDir()
	missing := ""
	if err != nil {
		missing = err.Error()
	} else if _, err := exec.LookPath("node"); err != nil {
		missing = "node is not on PATH"
	} else if v, err := installedVersion(dir, pkg); err != nil {
		missing = fmt.Sprintf("the npm package %s is not installed (run `npm ci` in sdktest/): %v", pkg, err)
	} else if version != "" && v != version {
		missing = fmt.Sprintf("sdktest/node_modules has %s %s, want %s (run `npm ci` in sdktest/)", pkg, v, version)
	}
	if missing == "" {
		return dir
	}
	if os.Getenv("USERPORT_TEST_NODE_SDK") == "1" {
		t.Fatalf("USERPORT_TEST_NODE_SDK=1 but %s", missing)
	}
	t.Skipf("skipping %s: %s (set USERPORT_TEST_NODE_SDK=1 to make this a failure)", what, missing)
	return ""
}

// installedVersion reads the version of sdktest/node_modules/pkg.
func installedVersion(dir, pkg string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "node_modules", filepath.FromSlash(pkg), "package.json"))
	if err != nil {
		return "", err
	}
	var p struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return "", fmt.Errorf("%s's package.json: %w", pkg, err)
	}
	return p.Version, nil
}

// sdktestDir finds sdktest/ beside the module's go.mod, above the test's
// directory.
func sdktestDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "sdktest"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test's directory")
		}
		dir = parent
	}
}
