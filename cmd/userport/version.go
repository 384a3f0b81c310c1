package main

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/userport/userport/internal/buildinfo"
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
	_, err := fmt.Fprintf(stdout, "userport %s (%s, %s/%s)\n", buildinfo.Version(version), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
