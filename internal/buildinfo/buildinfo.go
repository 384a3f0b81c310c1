// Package buildinfo says which release or commit a binary was built from.
package buildinfo

import "runtime/debug"

// Version is linked, the version set at link time (-ldflags "-X
// main.version=v1.2.3"), or when empty the module's version and the commit
// the binary was built from, as the build information records them.
func Version(linked string) string {
	if linked != "" {
		return linked
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	return fromBuildInfo(bi)
}

// fromBuildInfo is the version bi records: the module's, or "(devel)" and
// the first 12 digits of the commit, "+dirty" when the tree was modified.
func fromBuildInfo(bi *debug.BuildInfo) string {
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
