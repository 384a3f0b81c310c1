package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is the release of this binary, set at link time with
// -ldflags "-X main.version=v1.2.3"; empty, the build information's is used.
var version string

// runVersion implements `userport version`.
func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", "", "print the version of this binary, its commit and the Go release that built it")
	if _, err := parseCommand(fs, args, stderr, nil, 0); err != nil {
		return err
	}
	_, err := fmt.Fprintf(stdout, "userport %s (%s, %s/%s)\n", buildVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}

// buildVersion is the link-time version, or the module's version and the
// commit the binary was built from, as the build information records them.
func buildVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := bi.Main.Version
	var rev, dirty string
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision" && len(s.Value) >= 12:
			rev = s.Value[:12]
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "+dirty"
		}
	}
	if rev != "" && (v == "" || v == "(devel)") {
		return "(devel) " + rev + dirty
	}
	if v == "" {
		return "(devel)"
	}
	return v
}
