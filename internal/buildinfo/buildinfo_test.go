package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestVersion(t *testing.T) {
	if got := Version("v1.2.3"); got != "v1.2.3" {
		t.Errorf("Version(v1.2.3) = %q", got)
	}
	if got := Version(""); got == "" {
		t.Error("Version() is empty")
	}
	rev := debug.BuildSetting{Key: "vcs.revision", Value: "0123456789abcdef"}
	dirty := debug.BuildSetting{Key: "vcs.modified", Value: "true"}
	for _, tt := range []struct {
		version  string
		settings []debug.BuildSetting
		want     string
	}{
		{"v1.4.0", []debug.BuildSetting{rev}, "v1.4.0"},
		{"(devel)", []debug.BuildSetting{rev}, "(devel) 0123456789ab"},
		{"", []debug.BuildSetting{rev, dirty}, "(devel) 0123456789ab+dirty"},
		{"", nil, "(devel)"},
		{"(devel)", []debug.BuildSetting{{Key: "vcs.revision", Value: "short"}}, "(devel)"},
	} {
		bi := &debug.BuildInfo{Main: debug.Module{Version: tt.version}, Settings: tt.settings}
		if got := fromBuildInfo(bi); got != tt.want {
			t.Errorf("version %q, settings %v: %q, want %q", tt.version, tt.settings, got, tt.want)
		}
	}
}
